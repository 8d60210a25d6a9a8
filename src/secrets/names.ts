/**
 * What a secret is allowed to be: its name (an identifier, so `secrets: [name]` in config.yaml and
 * `job.secrets.get("name")` read the same), and the size of its value.
 */

export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Largest value, in bytes of UTF-8: an SSH key or a service account's JSON fits. */
export const MAX_SECRET_BYTES = 64 * 1024;
/** Most secrets one repository, or the organization, may hold. */
export const MAX_SECRETS = 500;

/** Why `name` is not a secret's name, or null. */
export function secretNameProblem(name: unknown): string | null {
  if (typeof name !== "string") return "a secret's name must be a string";
  if (!SECRET_NAME.test(name)) return `invalid secret name ${JSON.stringify(name.slice(0, 80))}: 1-64 of A-Z, a-z, 0-9 and _, not starting with a digit`;
  return null;
}

/** Why `value` cannot be stored, or null. */
export function secretValueProblem(value: unknown): string | null {
  if (typeof value !== "string") return "value must be a string";
  if (value === "") return "value must not be empty";
  const bytes = new TextEncoder().encode(value).byteLength;
  if (bytes > MAX_SECRET_BYTES) return `value is ${bytes} bytes, more than the ${MAX_SECRET_BYTES} bytes a secret may hold`;
  return null;
}

/** A stored secret as the listing shows it: never its value. */
export interface SecretInfo {
  name: string;
  /** Who set the current value, and when (epoch ms). */
  set_by: string;
  set_at: number;
  /** Which key encrypted it (changes when the value is set again after a key rotation). */
  key_id: string;
}

/** A value as stored: AES-GCM ciphertext with its IV, and the id of the key that made it. */
export interface SealedSecret {
  key_id: string;
  iv: string;
  ciphertext: string;
}

/** What a sealed value is bound to (its AES-GCM additional data): the organization, the repository if any, the name. */
export function secretPlace(org: string, repo: string | null, name: string): string {
  return repo === null ? `org ${org} ${name}` : `repo ${org}/${repo} ${name}`;
}
