/**
 * Keys derived from `[auth] secret`. One secret to rotate, and a separate key per use (OAuth state,
 * refresh tokens, ...), so that a token made for one use can never be read as another.
 */

const cache = new Map<string, Promise<Uint8Array>>();

/** 32 bytes for `label`, by HKDF-SHA-256 over the secret: fit for JWE `dir` + `A256GCM`. */
export function derivedKey(secret: string, label: string): Promise<Uint8Array> {
  const id = `${label}\u0000${secret}`;
  let key = cache.get(id);
  if (!key) {
    key = derive(secret, label);
    cache.set(id, key);
  }
  return key;
}

async function derive(secret: string, label: string): Promise<Uint8Array> {
  const encoder = new TextEncoder();
  const base = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(label) },
    base,
    256,
  );
  return new Uint8Array(bits);
}
