/**
 * A local signing key for development: `cockpit start --dev-key FILE` trusts it in place of the
 * identity provider's key, and `cockpit token --key FILE` signs with it. Created on first use.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { CommandError } from "./command.ts";

/** Returns the SPKI PEM public key of FILE, generating a P-384 key pair there when it is missing. */
export async function devPublicKey(file: string): Promise<{ publicKeyPem: string; created: boolean }> {
  let pem: string | undefined;
  try {
    pem = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  let created = false;
  if (pem === undefined) {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
    pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, pem, { mode: 0o600 });
    created = true;
  }
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyDetails?.namedCurve !== "secp384r1") throw new Error("not P-384");
    return { publicKeyPem: createPublicKey(key).export({ type: "spki", format: "pem" }).toString(), created };
  } catch {
    throw new CommandError(`${file}: not a P-384 private key; delete it and a new one is generated`);
  }
}

/** Local `[auth]` secrets for a config that has none: kept in FILE (mode 0600), made on first use. */
export async function devAuthSecrets(file: string): Promise<{ secret: string; signing_key: string; created: boolean }> {
  try {
    const saved = JSON.parse(await readFile(file, "utf8")) as { secret?: unknown; signing_key?: unknown };
    if (typeof saved.secret === "string" && typeof saved.signing_key === "string") return { secret: saved.secret, signing_key: saved.signing_key, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT" && !(err instanceof SyntaxError)) throw err;
  }
  const secret = randomBytes(32).toString("base64url");
  // One line (the DER in base64): secrets reach wrangler dev through an env file, which takes no line breaks.
  const signing_key = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "der" }).toString("base64");
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify({ secret, signing_key }), { mode: 0o600 });
  return { secret, signing_key, created: true };
}

/** A local `[secrets] key` for a config that has none: kept in FILE (mode 0600), made on first use. */
export async function devSecretsKey(file: string): Promise<{ key: string; created: boolean }> {
  try {
    const saved = (await readFile(file, "utf8")).trim();
    if (saved.length >= 32) return { key: saved, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const key = randomBytes(32).toString("base64url");
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, key, { mode: 0o600 });
  return { key, created: true };
}
