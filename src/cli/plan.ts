import {
  AysError,
  emptyRepository,
  executeBlueprint,
  parseBlueprint,
  planRun,
  scheduleAction,
  type Plan,
  type RepositoryState,
} from "../ays/index.ts";
import { CommandError, UsageError, stringOption, type Command } from "./command.ts";
import { loadRepositoryFolder } from "./repo-loader.ts";

/** The `--json` shape, fixed by the issue: consumers parse it. */
export interface PlanJson {
  services: { key: string; actor: string; parent: string | null; producers: string[] }[];
  steps: { number: number; jobs: { service: string; actor: string; action: string }[] }[];
}

export function planToJson(state: RepositoryState, plan: Plan): PlanJson {
  const services = Object.values(state.services)
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((s) => ({ key: s.key, actor: s.actor, parent: s.parent, producers: [...s.producers] }));
  const steps = plan.steps.map((step) => ({
    number: step.number,
    jobs: step.jobs.map((j) => ({ service: j.service, actor: j.actor, action: j.action })),
  }));
  return { services, steps };
}

function formatHuman(dir: string, blueprints: string[], json: PlanJson): string {
  const lines: string[] = [];
  lines.push(`Repository ${dir}: ${json.services.length} services from ${blueprints.length} blueprints (${blueprints.join(", ") || "none"})`);
  lines.push("");
  lines.push("Services:");
  const width = Math.max(0, ...json.services.map((s) => s.key.length));
  for (const s of json.services) {
    const links = [
      s.parent ? `parent ${s.parent}` : "",
      s.producers.length ? `consumes ${s.producers.join(", ")}` : "",
    ].filter(Boolean);
    lines.push(`  ${s.key.padEnd(width)}  ${s.actor}${links.length ? `  (${links.join("; ")})` : ""}`);
  }
  lines.push("");
  const jobs = json.steps.reduce((n, s) => n + s.jobs.length, 0);
  if (jobs === 0) {
    lines.push("Run: nothing to do (no scheduled actions, or all of them are ok).");
    return lines.join("\n");
  }
  lines.push(`Run: ${json.steps.length} steps, ${jobs} jobs (jobs within a step run in parallel)`);
  for (const step of json.steps) {
    lines.push(`  step ${step.number}`);
    for (const job of step.jobs) lines.push(`    ${job.service.padEnd(width)}  ${job.action}`);
  }
  return lines.join("\n");
}

export const planCommand: Command = {
  name: "plan",
  help: `Usage: cockpit plan DIR [--templates DIR ...] [--action NAME] [--json]

Loads the AYS repository folder DIR (actorTemplates/ and blueprints/), executes its blueprints in
file-name order (archived _*.yaml are skipped) and prints the run that would execute: the
services, then the steps and their jobs. Nothing is run and nothing is written.

Options:
  --templates DIR   add actor templates: a template folder, or a folder of template folders.
                    Repeatable; later folders and the repository's actorTemplates/ win.
  --action NAME     schedule NAME on every service that has it, like the original \`ays do NAME\`
  --json            print {"services":[...],"steps":[...]} instead of text
  -h, --help        this text

Exit status: 0 with a plan, 1 for an invalid repository (the error names the file, the key and the
reason), 2 for a wrong invocation.`,
  options: {
    templates: { type: "string", short: "t", multiple: true },
    action: { type: "string", short: "a" },
    json: { type: "boolean" },
  },
  allowPositionals: true,
  async run(args) {
    if (args.positionals.length !== 1) throw new UsageError("expected exactly one repository folder");
    const dir = args.positionals[0]!;
    const templateDirs = (args.values.templates as string[] | undefined) ?? [];
    try {
      return await plan(dir, templateDirs, stringOption(args, "action"), Boolean(args.values.json));
    } catch (err) {
      // An invalid repository is the user's to fix: print the engine's message alone, exit 1.
      if (err instanceof AysError) throw new CommandError(err.message);
      throw err;
    }
  },
};

async function plan(dir: string, templateDirs: string[], action: string | undefined, asJson: boolean): Promise<number> {
  const repo = await loadRepositoryFolder(dir, templateDirs);
  for (const w of repo.warnings) console.error(`warning: ${w}`);

  let state = emptyRepository();
  for (const bp of repo.blueprints) {
    state = executeBlueprint(state, repo.templates, parseBlueprint(bp.name, bp.content)).state;
  }
  if (action) {
    if (Object.keys(state.services).length === 0) throw new CommandError(`--action ${action}: the repository has no services`);
    state = scheduleAction(state, repo.templates, { action }).state;
  }
  const json = planToJson(state, planRun(state, repo.templates));
  console.log(asJson ? JSON.stringify(json) : formatHuman(dir, repo.blueprints.map((b) => b.name), json));
  return 0;
}

