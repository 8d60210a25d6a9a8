/**
 * Secrets at rest: AES-GCM (WebCrypto) with a 256-bit key derived (HKDF-SHA-256) from the Worker
 * secret `[secrets] key`. Each value keeps the id of the key that sealed it, so the key can rotate:
 * the new key seals, and `[secrets] previous_keys` still open what older keys sealed. The secret's
 * place (`repo/NAME` or `org/NAME`) is the additional data, so a sealed value moved to another
 * name does not open.
 */
import type { SealedSecret } from "./names.ts";

export interface SecretKeys {
  key: string;
  previous_keys?: string | undefined;
}

interface Key {
  id: string;
  aes: CryptoKey;
}

const encoder = new TextEncoder();

function base64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

function unbase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** `previous_keys`: keys separated by commas or white space. */
export function previousKeys(keys: SecretKeys): string[] {
  return (keys.previous_keys ?? "").split(/[\s,]+/).filter((k) => k !== "");
}

const derived = new Map<string, Promise<Key>>();

/** A key's id: the first 16 hex digits of SHA-256 over a label and the key (it reveals nothing of the key). */
export async function keyId(secret: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(`cockpit secrets key id\u0000${secret}`)));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function derive(secret: string): Promise<Key> {
  let key = derived.get(secret);
  if (!key) {
    key = (async () => {
      const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
      const aes = await crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: encoder.encode("cockpit secrets v1") },
        material,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
      return { id: await keyId(secret), aes };
    })();
    derived.set(secret, key);
  }
  return key;
}

/** Seals `value` under the current key; `place` (`repo/NAME`, `org/NAME`) is bound to it. */
export async function sealSecret(keys: SecretKeys, place: string, value: string): Promise<SealedSecret> {
  const key = await derive(keys.key);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(place) }, key.aes, encoder.encode(value));
  return { key_id: key.id, iv: base64(iv), ciphertext: base64(new Uint8Array(sealed)) };
}

/** A sealed value that no configured key opens: its key is gone, or the row was altered. */
export class SecretKeyError extends Error {
  override name = "SecretKeyError";
}

/** Opens a sealed value with the key whose id it names: the current key, or one of the previous ones. */
export async function openSecret(keys: SecretKeys, place: string, sealed: SealedSecret): Promise<string> {
  for (const secret of [keys.key, ...previousKeys(keys)]) {
    const key = await derive(secret);
    if (key.id !== sealed.key_id) continue;
    try {
      const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: unbase64(sealed.iv), additionalData: encoder.encode(place) }, key.aes, unbase64(sealed.ciphertext));
      return new TextDecoder().decode(plain);
    } catch {
      throw new SecretKeyError(`secret ${place} does not decrypt with key ${sealed.key_id}: its stored value was altered`);
    }
  }
  throw new SecretKeyError(`secret ${place} was sealed with key ${sealed.key_id}, which is neither [secrets] key nor one of [secrets] previous_keys: set it again`);
}
