/**
 * A RepositoryActor's templates, blueprints and service registry: the answers and refusals of those
 * RPC methods, with the engine (`ays/`) deciding and the store saving. Nothing here sends: after a
 * change of the registry the actor tells the ServiceActors about their recurring actions.
 */
import {
  AysError, changedJsActions, changeTemplateActions, deleteServiceCascade, executeBlueprint, parseBlueprint, scheduleAction, switchAction, templateUsers, type ActorTemplate,
} from "../../ays/index.ts";
import type { JobFile } from "../../runs/model.ts";
import { cutPage, pageLimit } from "../paging.ts";
import { ok, refuse, type Result } from "../results.ts";
import { parseStoredTemplate, type RepositoryStore } from "./store.ts";
import {
  serviceView, templateView,
  type BlueprintCheck, type BlueprintView, type ServiceQuery, type ServiceView, type TemplateInput, type TemplateInUse, type TemplateRow, type TemplateView,
} from "./views.ts";

export class Catalog {
  private readonly store: RepositoryStore;

  constructor(store: RepositoryStore) {
    this.store = store;
  }

  // === Templates

  listTemplates(): TemplateView[] {
    return [...this.store.templates().values()].map((t) => templateView(t, this.store.templateRow(t.name)!));
  }

  getTemplate(name: string): Result<TemplateView> {
    const t = this.store.templates().get(name);
    const row = this.store.templateRow(name);
    if (!t || !row) return refuse(404, "not_found", `no template ${name} in this repository`);
    return ok(templateView(t, row));
  }

  /**
   * Validates the template fully before storing it; an existing one of the same name is replaced, and
   * the actions whose code changed go ok | error -> changed on its services (AYS `action_mod_<name>`).
   */
  putTemplate(input: TemplateInput): Result<TemplateView> {
    const row: TemplateRow = { name: input.name, config: input.config ?? "", schema: input.schema ?? "", actions_js: input.actions ?? "", actions_py: input.actions_py ?? "" };
    let template: ActorTemplate;
    try {
      template = parseStoredTemplate(row);
    } catch (err) {
      if (err instanceof AysError) return refuse(400, "invalid_template", err.message);
      throw err;
    }
    const before = this.store.templateRow(row.name);
    this.store.putTemplate(row);
    const modified = before ? changedJsActions(before.actions_js, row.actions_js) : [];
    if (modified.length) {
      const { state, changed } = changeTemplateActions(this.store.state(), row.name, modified);
      if (changed.length) this.store.saveState(state);
    }
    return ok(templateView(template, row));
  }

  /** Deletes a template that nothing uses (templateUsers); otherwise a 409 naming them, and nothing changes. */
  deleteTemplate(name: string): Result<null> | TemplateInUse {
    if (!this.store.templateRow(name)) return refuse(404, "not_found", `no template ${name} in this repository`);
    const { error, services, blueprints, templates } = templateUsers(name, this.store.state(), this.store.blueprints(), this.store.templates());
    if (error) return { ok: false, status: 409, code: "in_use", error, services, blueprints, templates };
    this.store.deleteTemplate(name);
    return ok(null);
  }

  // === Service registry

  /** A page of the services (of `role`), in key order after the cursor `after`; `next` is the cursor of the following page. */
  listServices(query: ServiceQuery = {}): { services: ServiceView[]; next: string | null } {
    const limit = pageLimit(query.limit);
    const services = this.store.state().services;
    const keys = Object.values(services)
      .filter((s) => (!query.role || s.role === query.role) && (query.after === undefined || s.key > query.after))
      .map((s) => s.key)
      .sort();
    const page = cutPage(keys.slice(0, limit + 1), limit, (key) => key, (key) => this.store.serviceSize(key));
    return { services: page.items.map((key) => serviceView(services[key]!)), next: page.next };
  }

  /** The producers of each of these services (a run view draws its arrows with them). */
  producersOf(keys: string[]): Record<string, string[]> {
    const services = this.store.state().services;
    return Object.fromEntries(keys.flatMap((key) => (services[key] ? [[key, services[key].producers]] : [])));
  }

  getService(role: string, name: string): Result<ServiceView> {
    const service = this.store.state().services[`${role}!${name}`];
    return service ? ok(serviceView(service)) : refuse(404, "not_found", `no service ${role}!${name} in this repository`);
  }

  /** Schedules an action of a service (the engine's scheduleAction); uploaded files go with its next job. */
  scheduleServiceAction(role: string, name: string, action: string, force: boolean, inputFiles: JobFile[] = [], args?: Record<string, unknown>): Result<ServiceView> {
    const key = `${role}!${name}`;
    const service = this.store.state().services[key];
    if (!service) return refuse(404, "not_found", `no service ${key} in this repository`);
    if (!service.actions[action]) return refuse(404, "not_found", `service ${key} (actor ${service.actor}) has no action ${action}`);
    try {
      const { state } = scheduleAction(this.store.state(), this.store.templates(), { action, role, service: name, force });
      // Uploaded files go with the next job of this action (job.files.read(name)).
      if (inputFiles.length) state.services[key]!.actions[action]!.inputFiles = inputFiles;
      // Arguments given with the request are the next job's `job.args` (replacing any earlier ones).
      if (args !== undefined) state.services[key]!.actions[action]!.args = args;
      this.store.saveState(state);
      return ok(serviceView(state.services[key]!));
    } catch (err) {
      if (err instanceof AysError) return refuse(409, "invalid_state", err.message);
      throw err;
    }
  }

  /**
   * Disables one action of a service (a run skips it, it cannot be scheduled, it does not recur), or
   * enables a disabled one again (it is `new`). 404 for an unknown service or action, 409 naming the
   * state the machine refuses.
   */
  switchServiceAction(role: string, name: string, action: string, enable: boolean): Result<ServiceView> {
    const key = `${role}!${name}`;
    const service = this.store.state().services[key];
    if (!service) return refuse(404, "not_found", `no service ${key} in this repository`);
    if (!service.actions[action]) return refuse(404, "not_found", `service ${key} (actor ${service.actor}) has no action ${action}`);
    const result = switchAction(this.store.state(), key, action, { type: enable ? "ENABLE" : "DISABLE" });
    if ("refused" in result) return refuse(409, "invalid_state", `action ${action} of ${key}: ${result.refused}`);
    this.store.saveState(result.state);
    return ok(serviceView(result.state.services[key]!));
  }

  /** Deletes a service and its children (AYS Service.delete), unlinking producers and consumers. */
  deleteService(role: string, name: string): Result<{ deleted: string[] }> {
    const key = `${role}!${name}`;
    if (!this.store.state().services[key]) return refuse(404, "not_found", `no service ${key} in this repository`);
    const { state, deleted } = deleteServiceCascade(this.store.state(), key);
    this.store.saveState(state);
    return ok({ deleted });
  }

  // === Blueprints

  listBlueprints(archived?: boolean): BlueprintView[] {
    return this.store.blueprints().filter((b) => archived === undefined || b.archived === archived);
  }

  getBlueprint(name: string): Result<BlueprintView> {
    const bp = this.store.blueprint(name);
    return bp ? ok(bp) : refuse(404, "not_found", `no blueprint ${name} in this repository`);
  }

  /**
   * Checks a blueprint against the templates and the current services without applying it or
   * storing anything: the engine's first problem, with its line and column when it has them.
   */
  checkBlueprint(name: string, content: string): BlueprintCheck {
    try {
      executeBlueprint(this.store.state(), this.store.templates(), parseBlueprint(name, content));
      return { valid: true };
    } catch (err) {
      if (!(err instanceof AysError)) throw err;
      return {
        valid: false,
        error: err.message,
        reason: err.reason,
        ...(err.key !== undefined ? { key: err.key } : {}),
        ...(err.line !== undefined ? { line: err.line } : {}),
        ...(err.column !== undefined ? { column: err.column } : {}),
      };
    }
  }

  saveBlueprint(name: string, content: string, mode: "create" | "update"): Result<BlueprintView> {
    const existing = this.store.blueprint(name);
    if (mode === "create" && existing) return refuse(409, "exists", `blueprint ${name} exists already`);
    if (mode === "update" && !existing) return refuse(404, "not_found", `no blueprint ${name} in this repository`);
    const check = this.checkBlueprint(name, content);
    if (!check.valid) return refuse(400, "invalid_blueprint", check.error);
    this.store.putBlueprint(name, content, Date.now());
    return ok(this.store.blueprint(name)!);
  }

  deleteBlueprint(name: string): Result<null> {
    return this.store.deleteBlueprint(name) ? ok(null) : refuse(404, "not_found", `no blueprint ${name} in this repository`);
  }

  setArchived(name: string, archived: boolean): Result<BlueprintView> {
    if (!this.store.blueprint(name)) return refuse(404, "not_found", `no blueprint ${name} in this repository`);
    this.store.setArchived(name, archived, Date.now());
    return ok(this.store.blueprint(name)!);
  }

  /** Creates or updates the blueprint's services and schedules its actions (AYS blueprintExecute). */
  executeBlueprint(name: string): Result<{ msg: string; created: string[]; changed: string[]; scheduled: number }> {
    const bp = this.store.blueprint(name);
    if (!bp) return refuse(404, "not_found", `no blueprint ${name} in this repository`);
    if (bp.archived) return refuse(409, "archived", `blueprint ${name} is archived; restore it first`);
    try {
      const result = executeBlueprint(this.store.state(), this.store.templates(), parseBlueprint(name, bp.content));
      this.store.saveState(result.state);
      const msg =
        `blueprint ${name} executed: ${result.created.length} services created, ${result.changed.length} changed, ` +
        `${result.scheduled.length} actions scheduled` +
        // What was accepted but deserves a look (a running processChange not scheduled again, a name kept as data).
        (result.warnings.length ? `; warnings: ${result.warnings.join("; ")}` : "");
      return ok({ msg, created: result.created, changed: result.changed.map((c) => c.key), scheduled: result.scheduled.length });
    } catch (err) {
      // An engine error is the 400 the API answers, with the engine's own message.
      if (err instanceof AysError) return refuse(400, "invalid_blueprint", err.message);
      throw err;
    }
  }
}
