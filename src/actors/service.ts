/**
 * The ServiceActor lives in src/actors/service/ (actor.ts, store.ts, questions.ts, ...). This file
 * keeps the older import path of its protocol types working (`import type { JobSpec } from
 * "./service.ts"`) until their users move to src/actors/service/protocol.ts.
 */
export { ServiceActor } from "./service/actor.ts";
export type { JobOutcome, JobSpec, JobView, RecurringAction } from "./service/protocol.ts";
