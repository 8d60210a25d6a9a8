/**
 * Naming rules shared by templates, blueprints and services (AYS 8.2, ays-original.md §1.3, §1.5).
 */

/** Repository names: letters, digits, `_` and `-` (the API, the console and the bot all check this). */
export const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * Blueprint file names: letters, digits, `_`, `.` and `-`, at most 200, and not only dots: `.`, `..`
 * and `...` would be stored but could never be reached again (URLs normalise them away).
 */
export const BLUEPRINT_NAME_PATTERN = /^(?!\.+$)[A-Za-z0-9_.-]{1,200}$/;

/** Role = the actor name up to its first dot: "node.ovc" -> "node", "sshkey" -> "sshkey". */
export function roleOf(actorName: string): string {
  const dot = actorName.indexOf(".");
  return dot === -1 ? actorName : actorName.slice(0, dot);
}

/**
 * Blueprint argument keys are normalised to capnp field names the way AYS's `sanitize_key` did:
 * every `.` or `_` separator is dropped and the character after it upper-cased
 * ("bootdisk.size" -> "bootdiskSize", "repo2_template1" -> "repo2Template1"). Runs of separators
 * count as one; trailing separators disappear. Everything else is kept as written (case-sensitive).
 */
export function normalizeArgName(key: string): string {
  return key.replace(/[._]+(.?)/g, (_sep, next: string) => next.toUpperCase());
}

/** A service is identified inside its repository by `role!instance`. */
export function serviceKey(role: string, instance: string): string {
  return `${role}!${instance}`;
}

/** Splits a service key back into role and instance; undefined when it has no `!`. */
export function parseServiceKey(key: string): { role: string; instance: string } | undefined {
  const bang = key.indexOf("!");
  if (bang <= 0 || bang === key.length - 1) return undefined;
  return { role: key.slice(0, bang), instance: key.slice(bang + 1) };
}

/**
 * The sample fixtures in shared/ays-samples carry a `tmplNN_aysNN_` prefix in front of the real
 * template name ("tmpl09_ays82_node.ovc" -> "node.ovc"); any other folder name is the template name.
 */
export function templateNameFromFolder(folder: string): string {
  return folder.replace(/^tmpl\d+_ays\d+_/, "");
}

/** Actor (template) names: letters, digits, `_`, `-`, `.`; never `__` (it splits blueprint keys). */
export function isValidActorName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) && !name.includes("__");
}

/** "Service instance name should be digits or alphanumeric" once `-`, `_` and `.` are removed. */
export function isValidInstanceName(instance: string): boolean {
  return /^[A-Za-z0-9]+$/.test(instance.replace(/[-_.]/g, ""));
}

/** Action names are identifiers usable both as JS export names and Python def names. */
export function isValidActionName(name: string): boolean {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name);
}
