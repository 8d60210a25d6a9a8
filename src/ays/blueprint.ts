/**
 * Blueprint parsing (AYS 8.2 Blueprint.py): a YAML mapping of `actor__instance: {args}` entries plus
 * optional `actions:` and `eventfilters:` lists. Parsing checks the format only; whether actors
 * exist and arguments fit their schema is checked when the blueprint is executed.
 */
import { isMap, isScalar } from "yaml";
import { EVENT_CHANNELS } from "./config.ts";
import { parseMatch } from "./match.ts";
import { parseDuration } from "./duration.ts";
import { AysError } from "./errors.ts";
import type { EventFilter } from "./model.ts";
import { isValidActionName, isValidInstanceName, normalizeArgName } from "./names.ts";
import { parseYaml, positionOf } from "./yamlutil.ts";

export interface Position {
  line: number;
  column: number;
}

export interface BlueprintService {
  actor: string;
  instance: string;
  /** Arguments as written (keys not yet normalised, so errors can quote them). */
  args: Record<string, unknown>;
  line: number;
  column: number;
  /** The blueprint key, `actor__instance`. */
  key: string;
}

export interface BlueprintAction {
  actions: string[];
  actor?: string;
  service?: string;
  /** Recurring period in seconds. */
  recurring?: number;
  force: boolean;
}

export type BlueprintEventFilter = EventFilter;

export interface Blueprint {
  name: string;
  services: BlueprintService[];
  actions: BlueprintAction[];
  eventfilters: BlueprintEventFilter[];
  /** Positions of entries for error messages: "actor__x", "actor__x.arg", "actions[0]", "eventfilters[1]". */
  positions: Record<string, Position>;
}

const ACTION_KEYS = new Set(["action", "actor", "service", "recurring", "force"]);
const FILTER_KEYS = new Set(["actor", "service", "channel", "command", "secret", "match", "actions"]);

export function parseBlueprint(name: string, content: string): Blueprint {
  const parsed = parseYaml(content, name);
  const blueprint: Blueprint = { name, services: [], actions: [], eventfilters: [], positions: {} };
  if (parsed.value === null || parsed.value === undefined) return blueprint;
  const root = parsed.doc.contents;
  if (!isMap(root)) {
    throw new AysError({ file: name, reason: "a blueprint must be a mapping of actor__instance entries", ...(positionOf(parsed, []) ?? {}) });
  }
  const value = parsed.value as Record<string, unknown>;

  const fail = (key: string, reason: string, path: (string | number)[]): never => {
    throw new AysError({ file: name, key, reason, ...(positionOf(parsed, path) ?? {}) });
  };
  const remember = (label: string, path: (string | number)[]): Position => {
    const pos = positionOf(parsed, path) ?? { line: 1, column: 1 };
    blueprint.positions[label] = pos;
    return pos;
  };

  for (const pair of root.items) {
    const keyNode = pair.key;
    const rawKey = isScalar(keyNode) ? keyNode.value : undefined;
    const keyPos = isScalar(keyNode) && keyNode.range ? parsed.lines.linePos(keyNode.range[0]) : undefined;
    if (typeof rawKey !== "string") {
      throw new AysError({
        file: name,
        key: String(isScalar(keyNode) ? keyNode.value : keyNode),
        reason: "Key in blueprint is not right format, needs to be $actorname__$instance",
        ...(keyPos ? { line: keyPos.line, column: keyPos.col } : {}),
      });
    }
    const entry = Object.hasOwn(value, rawKey) ? value[rawKey] : undefined;
    if (rawKey === "actions") {
      parseActions(entry, blueprint, fail, remember);
      continue;
    }
    if (rawKey === "eventfilters") {
      parseEventFilters(entry, blueprint, fail, remember);
      continue;
    }
    // Argument errors should point at the argument's key, not at its value.
    if (isMap(pair.value)) {
      for (const argPair of pair.value.items) {
        const argKey = isScalar(argPair.key) ? argPair.key : undefined;
        if (argKey?.range && typeof argKey.value === "string") {
          const pos = parsed.lines.linePos(argKey.range[0]);
          blueprint.positions[`${rawKey}.${argKey.value}`] = { line: pos.line, column: pos.col };
        }
      }
    }
    blueprint.services.push(parseService(rawKey, entry, keyPos, blueprint, fail));
  }
  return blueprint;
}

type Fail = (key: string, reason: string, path: (string | number)[]) => never;
type Remember = (label: string, path: (string | number)[]) => Position;

function parseService(
  rawKey: string,
  entry: unknown,
  keyPos: { line: number; col: number } | undefined,
  blueprint: Blueprint,
  fail: Fail,
): BlueprintService {
  const split = rawKey.indexOf("__");
  if (split === -1) fail(rawKey, "Key in blueprint is not right format, needs to be $actorname__$instance", [rawKey]);
  const actor = rawKey.slice(0, split);
  const instance = rawKey.slice(split + 2);
  if (actor === "" || /[:\s]/.test(actor)) fail(rawKey, `invalid actor name "${actor}"`, [rawKey]);
  if (instance === "" || instance.includes(":") || !isValidInstanceName(instance)) {
    fail(rawKey, `invalid instance name "${instance}": Service instance name should be digits or alphanumeric (plus - _ .)`, [rawKey]);
  }
  if (entry !== null && entry !== undefined && (typeof entry !== "object" || Array.isArray(entry))) {
    fail(rawKey, "service arguments must be a mapping (or empty)", [rawKey]);
  }
  const args = (entry ?? {}) as Record<string, unknown>;
  const normalised = new Map<string, string>();
  for (const argKey of Object.keys(args)) {
    const norm = normalizeArgName(argKey);
    const other = normalised.get(norm);
    if (other !== undefined) {
      const pos = blueprint.positions[`${rawKey}.${argKey}`];
      throw new AysError({ file: blueprint.name, key: `${rawKey}.${argKey}`, reason: `arguments ${other} and ${argKey} are the same argument ${norm}`, ...(pos ?? {}) });
    }
    normalised.set(norm, argKey);
  }
  const line = keyPos?.line ?? 1;
  const column = keyPos?.col ?? 1;
  blueprint.positions[rawKey] = { line, column };
  return { actor, instance, args: { ...args }, line, column, key: rawKey };
}

function actionNames(value: unknown): string[] | undefined {
  const list = typeof value === "string" ? value.split(",") : Array.isArray(value) ? value : undefined;
  if (!list || list.some((a) => typeof a !== "string")) return undefined;
  return (list as string[]).map((a) => a.trim()).filter((a) => a !== "");
}

function optionalString(value: unknown, key: string, path: (string | number)[], fail: Fail): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "number") return String(value);
  if (typeof value !== "string") fail(key, "expected a string", path);
  return value as string;
}

function parseActions(entry: unknown, blueprint: Blueprint, fail: Fail, remember: Remember): void {
  if (entry === null || entry === undefined) return;
  if (!Array.isArray(entry)) fail("actions", "actions should be a list of mappings", ["actions"]);
  (entry as unknown[]).forEach((item, i) => {
    const label = `actions[${i}]`;
    const path = ["actions", i];
    remember(label, path);
    if (item === null || typeof item !== "object" || Array.isArray(item)) fail(label, "each entry of actions must be a mapping", path);
    const obj = item as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      if (!ACTION_KEYS.has(k)) fail(`${label}.${k}`, `unknown key (expected ${[...ACTION_KEYS].join(", ")})`, [...path, k]);
    }
    if (obj.action === undefined || obj.action === null || obj.action === "") fail(label, "need to specify action.", path);
    const names = actionNames(obj.action);
    if (!names || names.length === 0) fail(`${label}.action`, "need to specify action.", [...path, "action"]);
    for (const n of names as string[]) {
      if (!isValidActionName(n)) fail(`${label}.action`, `invalid action name "${n}"`, [...path, "action"]);
    }
    const action: BlueprintAction = { actions: [...new Set(names)], force: false };
    const actor = optionalString(obj.actor, `${label}.actor`, [...path, "actor"], fail);
    const service = optionalString(obj.service, `${label}.service`, [...path, "service"], fail);
    if (actor !== undefined) action.actor = actor;
    if (service !== undefined) action.service = service;
    if (obj.recurring !== undefined && obj.recurring !== null && obj.recurring !== "") {
      try {
        action.recurring = parseDuration(obj.recurring as string | number);
      } catch (err) {
        fail(`${label}.recurring`, err instanceof Error ? err.message : "invalid duration", [...path, "recurring"]);
      }
    }
    if (obj.force !== undefined && obj.force !== null) {
      if (typeof obj.force !== "boolean") fail(`${label}.force`, "expected true or false", [...path, "force"]);
      action.force = obj.force as boolean;
    }
    blueprint.actions.push(action);
  });
}

function parseEventFilters(entry: unknown, blueprint: Blueprint, fail: Fail, remember: Remember): void {
  if (entry === null || entry === undefined) return;
  if (!Array.isArray(entry)) fail("eventfilters", "eventfilters should be a list of mappings", ["eventfilters"]);
  (entry as unknown[]).forEach((item, i) => {
    const label = `eventfilters[${i}]`;
    const path = ["eventfilters", i];
    remember(label, path);
    if (item === null || typeof item !== "object" || Array.isArray(item)) fail(label, "each entry of eventfilters must be a mapping", path);
    const obj = item as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      if (!FILTER_KEYS.has(k)) fail(`${label}.${k}`, `unknown key (expected ${[...FILTER_KEYS].join(", ")})`, [...path, k]);
    }
    const channel = optionalString(obj.channel, `${label}.channel`, [...path, "channel"], fail) ?? "all";
    if (!(EVENT_CHANNELS as readonly string[]).includes(channel)) {
      fail(`${label}.channel`, `unknown channel "${channel}" (expected one of ${EVENT_CHANNELS.join(", ")})`, [...path, "channel"]);
    }
    const names = actionNames(obj.actions);
    if (!names || names.length === 0) fail(`${label}.actions`, "need to specify the actions to run", [...path, "actions"]);
    for (const n of names as string[]) {
      if (!isValidActionName(n)) fail(`${label}.actions`, `invalid action name "${n}"`, [...path, "actions"]);
    }
    const filter: BlueprintEventFilter = { channel, actions: [...new Set(names)] };
    const actor = optionalString(obj.actor, `${label}.actor`, [...path, "actor"], fail);
    const service = optionalString(obj.service, `${label}.service`, [...path, "service"], fail);
    const command = optionalString(obj.command, `${label}.command`, [...path, "command"], fail);
    const secret = optionalString(obj.secret, `${label}.secret`, [...path, "secret"], fail);
    if (actor !== undefined) filter.actor = actor;
    if (service !== undefined) filter.service = service;
    if (command !== undefined) filter.command = command;
    if (secret !== undefined) filter.secret = secret;
    if (obj.match !== undefined) {
      const match = parseMatch(obj.match);
      if (!match.ok) fail(`${label}.${match.key}`, match.reason, [...path, "match"]);
      else filter.match = match.match;
    }
    blueprint.eventfilters.push(filter);
  });
}
