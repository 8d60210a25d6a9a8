/**
 * Run planning (AYS 8.2 AtYourServiceRepo.findScheduledActions + AtYourServiceDependencies):
 * scheduled actions are expanded through each actor's action dependency map and through the
 * producer/consumer graph, then layered with Kahn's algorithm into steps whose jobs can run in
 * parallel. O(V + E) in the number of (service, action) nodes and dependency edges.
 */
import { AysError } from "./errors.ts";
import type { RepositoryState, ServiceModel, TemplateIndex } from "./model.ts";
import { REVERSE_ACTIONS } from "./template.ts";

export interface PlannedJob {
  service: string;
  actor: string;
  action: string;
}

export interface Plan {
  steps: { number: number; jobs: PlannedJob[] }[];
}

/** Does this action still have to run? `ok` (unless forced) and `disabled` actions do not. */
function needsRun(service: ServiceModel, action: string): boolean {
  const a = Object.hasOwn(service.actions, action) ? service.actions[action] : undefined;
  if (!a || a.state === "disabled") return false;
  return a.state !== "ok" || a.force === true;
}

function compareJobs(a: PlannedJob, b: PlannedJob): number {
  if (a.service !== b.service) return a.service < b.service ? -1 : 1;
  return a.action < b.action ? -1 : a.action > b.action ? 1 : 0;
}

export function planRun(state: RepositoryState, templates: TemplateIndex): Plan {
  const services = state.services;
  const get = (key: string): ServiceModel | undefined => (Object.hasOwn(services, key) ? services[key] : undefined);

  const dependencyMaps = new Map<string, Readonly<Record<string, readonly string[]>>>();
  const depsOf = (service: ServiceModel, action: string): readonly string[] => {
    let map = dependencyMaps.get(service.actor);
    if (!map) {
      const template = templates.get(service.actor);
      if (!template) {
        throw new AysError({ file: "run", key: service.key, reason: `unknown actor ${service.actor} (no template named ${service.actor})` });
      }
      map = template.dependencies;
      dependencyMaps.set(service.actor, map);
    }
    return Object.hasOwn(map, action) ? (map[action] ?? []) : [];
  };

  // Nodes are (service, action) pairs, numbered in discovery order.
  const ids = new Map<ServiceModel, Map<string, number>>();
  const nodeService: ServiceModel[] = [];
  const nodeAction: string[] = [];
  const nodeId = (service: ServiceModel, action: string): number => {
    let byAction = ids.get(service);
    if (!byAction) {
      byAction = new Map();
      ids.set(service, byAction);
    }
    let n = byAction.get(action);
    if (n === undefined) {
      n = nodeService.length;
      byAction.set(action, n);
      nodeService.push(service);
      nodeAction.push(action);
    }
    return n;
  };

  // 1. Start from scheduled actions, unless a producer has the same action in error (AYS rule:
  //    do not build on a producer that just failed that very action).
  for (const service of Object.values(services)) {
    for (const name in service.actions) {
      if (service.actions[name]?.state !== "scheduled") continue;
      const blocked = service.producers.some((p) => get(p)?.actions[name]?.state === "error");
      if (!blocked) nodeId(service, name);
    }
  }

  // 2. Expand: each node waits for the previous actions of its chain on the same service and for
  //    the same action on every producer (consumers for stop/uninstall/delete/destroy). Nodes that
  //    need not run are neither added nor traversed. Edges are kept as (waiter, waited-on) pairs.
  //    No deduplication is needed: chain edges stay on one service, link edges go to distinct
  //    other services (links are stored without repeats).
  const edgeFrom: number[] = [];
  const edgeTo: number[] = [];
  for (let n = 0; n < nodeService.length; n++) {
    const service = nodeService[n] as ServiceModel;
    const action = nodeAction[n] as string;
    for (const dep of depsOf(service, action)) {
      if (dep !== action && needsRun(service, dep)) {
        edgeFrom.push(n);
        edgeTo.push(nodeId(service, dep));
      }
    }
    const linked = REVERSE_ACTIONS.has(action) ? service.consumers : service.producers;
    for (const key of linked) {
      const other = get(key);
      if (other && other !== service && needsRun(other, action)) {
        edgeFrom.push(n);
        edgeTo.push(nodeId(other, action));
      }
    }
  }

  // 3. Kahn layering over a compact adjacency (dependents of each node).
  const count = nodeService.length;
  const waiting = new Int32Array(count);
  const firstDependent = new Int32Array(count + 1);
  for (let e = 0; e < edgeFrom.length; e++) {
    const from = edgeFrom[e] as number;
    const to = (edgeTo[e] as number) + 1;
    waiting[from] = (waiting[from] as number) + 1;
    firstDependent[to] = (firstDependent[to] as number) + 1;
  }
  for (let n = 0; n < count; n++) firstDependent[n + 1] = (firstDependent[n + 1] as number) + (firstDependent[n] as number);
  const dependents = new Int32Array(edgeFrom.length);
  const fill = firstDependent.slice(0, count);
  for (let e = 0; e < edgeFrom.length; e++) {
    const to = edgeTo[e] as number;
    const slot = fill[to] as number;
    fill[to] = slot + 1;
    dependents[slot] = edgeFrom[e] as number;
  }

  let layer: number[] = [];
  for (let n = 0; n < count; n++) if (waiting[n] === 0) layer.push(n);
  const steps: Plan["steps"] = [];
  let placed = 0;
  while (layer.length > 0) {
    placed += layer.length;
    const jobs: PlannedJob[] = layer.map((n) => {
      const service = nodeService[n] as ServiceModel;
      return { service: service.key, actor: service.actor, action: nodeAction[n] as string };
    });
    jobs.sort(compareJobs);
    steps.push({ number: steps.length + 1, jobs });
    const next: number[] = [];
    for (const n of layer) {
      const end = firstDependent[n + 1] as number;
      for (let i = firstDependent[n] as number; i < end; i++) {
        const m = dependents[i] as number;
        const left = (waiting[m] as number) - 1;
        waiting[m] = left;
        if (left === 0) next.push(m);
      }
    }
    layer = next;
  }

  if (placed < count) {
    const deps: number[][] = Array.from({ length: count }, () => []);
    for (let e = 0; e < edgeFrom.length; e++) (deps[edgeFrom[e] as number] as number[]).push(edgeTo[e] as number);
    throw new AysError({ file: "run", reason: `dependency cycle: ${describeCycle(waiting, deps, nodeService, nodeAction)}` });
  }
  return { steps };
}

/**
 * Every node left after Kahn still waits on at least one other left-over node, so following such
 * waits from any of them must revisit a node: that loop is the cycle.
 */
function describeCycle(waiting: Int32Array, deps: number[][], nodeService: ServiceModel[], nodeAction: string[]): string {
  const label = (n: number) => `${(nodeService[n] as ServiceModel).key} ${nodeAction[n] as string}`;
  let start = -1;
  let best = "";
  for (let n = 0; n < waiting.length; n++) {
    // Start from the smallest label so the message is deterministic.
    if ((waiting[n] as number) > 0 && (start === -1 || label(n) < best)) {
      start = n;
      best = label(n);
    }
  }
  const seenAt = new Map<number, number>();
  const path: number[] = [];
  let n = start;
  while (!seenAt.has(n)) {
    seenAt.set(n, path.length);
    path.push(n);
    const candidates = (deps[n] ?? []).filter((d) => (waiting[d] as number) > 0);
    n = candidates.reduce((a, b) => (label(a) <= label(b) ? a : b));
  }
  const cycle = path.slice(seenAt.get(n));
  cycle.push(n);
  return cycle.map(label).join(" -> ");
}
