/**
 * What one blueprint may create, and how many services a repository may hold. A repository's
 * services are read, planned and listed by one actor; these bounds keep that work (and every answer
 * about them) finite. 10,000 services still fit, as bench/plan.ts builds.
 */
import { AysError } from "./errors.ts";

export const MAX_BLUEPRINT_SERVICES = 10_000;
export const MAX_REPOSITORY_SERVICES = 10_000;

/**
 * Refuses an execution of blueprint `file` that creates `created` services (auto-created parents and
 * producers included) and leaves the repository with `total`; `verb` says how they were counted.
 */
export function checkServiceLimits(file: string, created: number, total: number, verb = "would create"): void {
  if (created > MAX_BLUEPRINT_SERVICES) {
    throw new AysError({ file, reason: `${verb} ${created} services, more than the ${MAX_BLUEPRINT_SERVICES} one blueprint may create` });
  }
  if (total > MAX_REPOSITORY_SERVICES) {
    throw new AysError({
      file,
      reason:
        `would bring the repository to ${total} services (it has ${total - created}, this blueprint creates ${created}), ` +
        `more than the ${MAX_REPOSITORY_SERVICES} a repository may hold`,
    });
  }
}
