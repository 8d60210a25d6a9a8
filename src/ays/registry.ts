/**
 * Decisions over a repository's service registry that are not runs: deleting a service with its
 * children (AYS Service.delete), and who still uses a template.
 */
import { parseBlueprint } from "./blueprint.ts";
import { AysError } from "./errors.ts";
import type { RepositoryState, TemplateIndex } from "./model.ts";

/**
 * The registry without service `key` and its children (recursively), its producers, consumers and
 * parent links to them removed, and the deleted keys (the service first). The given state is not changed.
 */
export function deleteServiceCascade(state: RepositoryState, key: string): { state: RepositoryState; deleted: string[] } {
  const services: RepositoryState["services"] = structuredClone(state.services);
  const deleted: string[] = [];
  const collect = (k: string) => {
    deleted.push(k);
    for (const child of services[k]?.children ?? []) collect(child);
  };
  collect(key);
  const gone = new Set(deleted);
  for (const k of deleted) delete services[k];
  for (const s of Object.values(services)) {
    s.producers = s.producers.filter((p) => !gone.has(p));
    s.consumers = s.consumers.filter((c) => !gone.has(c));
    s.children = s.children.filter((c) => !gone.has(c));
    if (s.parent && gone.has(s.parent)) s.parent = null;
  }
  return { state: { ...state, services }, deleted };
}

/** Does the saved blueprint name actor `actor` (a service entry, an action or an event filter)? */
function blueprintNames(bp: { name: string; content: string }, actor: string): boolean {
  let parsed;
  try {
    parsed = parseBlueprint(bp.name, bp.content);
  } catch (err) {
    // Saved blueprints were valid when saved; one that no longer parses names nothing we can know.
    if (err instanceof AysError) return false;
    throw err;
  }
  return (
    parsed.services.some((s) => s.actor === actor) ||
    parsed.actions.some((a) => a.actor === actor) ||
    parsed.eventfilters.some((f) => f.actor === actor)
  );
}

export interface TemplateUsers {
  services: string[];
  blueprints: string[];
  templates: string[];
  /** "template x is in use by services …; blueprints …", or null when nothing uses it. */
  error: string | null;
}

/**
 * Who uses template `name`: services of it, saved blueprints naming it (archived ones too, or
 * restoring one would bring back a blueprint that cannot execute), and other templates that
 * auto-create it through a link.
 */
export function templateUsers(name: string, state: RepositoryState, blueprints: readonly { name: string; content: string }[], templates: TemplateIndex): TemplateUsers {
  const services = Object.values(state.services)
    .filter((s) => s.actor === name)
    .map((s) => s.key)
    .sort();
  const naming = blueprints.filter((bp) => blueprintNames(bp, name)).map((bp) => bp.name);
  const creating = [...templates.values()]
    .filter((t) => t.name !== name && [...(t.parent ? [t.parent] : []), ...t.consume].some((l) => l.auto && l.role === name))
    .map((t) => t.name);
  if (!services.length && !naming.length && !creating.length) return { services, blueprints: naming, templates: creating, error: null };
  const list = (what: string, items: string[]) => (items.length ? [`${what} ${items.slice(0, 10).join(", ")}${items.length > 10 ? ` and ${items.length - 10} more` : ""}`] : []);
  const users = [...list("services", services), ...list("blueprints", naming), ...list("templates that auto-create it:", creating)];
  return { services, blueprints: naming, templates: creating, error: `template ${name} is in use by ${users.join("; ")}` };
}
