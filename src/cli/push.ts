/**
 * `cockpit push`: an AYS repository folder on disk becomes a repository of a running Cockpit, the
 * way AYS users worked (`ays blueprint`, then `ays run`), with the folder checked offline first.
 */
import { basename, resolve } from "node:path";
import { AysError, emptyRepository, executeBlueprint, parseBlueprint } from "../ays/index.ts";
import { hasEnded, type RunRecord } from "../runs/model.ts";
import { CommandError, stringOption, UsageError, type Command } from "./command.ts";
import { API_HELP, API_OPTIONS, cockpitApiFrom, refusal, type CockpitApi } from "./cockpit-api.ts";
import { loadRepositoryFolder, type LoadedRepository } from "./repo-loader.ts";

/** The Cockpit's rule for repository names (the original bot's), checked before anything is sent. */
const REPO_NAME = /^[A-Za-z0-9_-]+$/;
/** How often a followed run is looked at. */
const POLL_MS = 1000;

export const pushCommand: Command = {
  name: "push",
  help: `Usage: cockpit push DIR [--repo NAME] [--templates DIR ...] [--execute] [--run | --simulate]
                        [--url URL] [--token TOKEN] [--config FILE]

Sends the AYS repository folder DIR (actorTemplates/ and blueprints/) to a running Cockpit: creates
the repository if it is new, stores its templates, and creates or updates its blueprints. The folder
is checked offline first, as \`cockpit plan\` does: an invalid folder exits 1 and nothing is sent.
Archived blueprints (_*.yaml) are not sent.

Templates sent: every one in DIR/actorTemplates/, and those from --templates that the blueprints'
services use.

Options:
  --repo NAME       the repository's name in the Cockpit (default: the folder's name)
  --templates DIR   add actor templates (a template folder or a folder of them); repeatable
  --execute         execute the blueprints, in file-name order, once they are stored
  --run             --execute, then start a run and follow it until it ends: exit 0 when it
                    ends ok, 1 otherwise (Ctrl-C stops following; the run goes on)
  --simulate        --execute, then print the run the Cockpit would start, without running it
${API_HELP}
  -h, --help        this text

Exit status: 0 when everything was stored (and the run ended ok), 1 for an invalid folder, a refusal
by the Cockpit or a failed run, 2 for a wrong invocation.`,
  options: {
    repo: { type: "string", short: "r" },
    templates: { type: "string", short: "t", multiple: true },
    execute: { type: "boolean" },
    run: { type: "boolean" },
    simulate: { type: "boolean" },
    ...API_OPTIONS,
  },
  allowPositionals: true,
  async run(args) {
    if (args.positionals.length !== 1) throw new UsageError("expected exactly one repository folder");
    if (args.values.run && args.values.simulate) throw new UsageError("--run and --simulate exclude each other");
    const dir = args.positionals[0]!;
    const name = stringOption(args, "repo") ?? basename(resolve(dir));
    if (!REPO_NAME.test(name)) {
      throw new UsageError(`repository name "${name}": expected letters, digits, _ and - only (use --repo NAME)`);
    }
    const api = await cockpitApiFrom(args);
    const folder = await checkedFolder(dir, (args.values.templates as string[] | undefined) ?? []);
    await store(api, name, folder);
    if (!(args.values.execute || args.values.run || args.values.simulate)) return 0;
    await execute(api, name, folder);
    if (args.values.simulate) return simulate(api, name);
    if (args.values.run) return follow(api, name);
    return 0;
  },
};

interface CheckedFolder extends LoadedRepository {
  /** The templates to send, in name order. */
  send: string[];
}

/** Loads DIR and executes its blueprints offline: what the Cockpit would refuse is refused here first. */
async function checkedFolder(dir: string, templateDirs: string[]): Promise<CheckedFolder> {
  const folder = await loadRepositoryFolder(dir, templateDirs);
  for (const w of folder.warnings) console.error(`warning: ${w}`);
  if (!folder.blueprints.length) throw new CommandError(`${dir}: no blueprints to send (blueprints/*.yaml, archived _*.yaml left out)`);
  let state = emptyRepository();
  try {
    for (const bp of folder.blueprints) state = executeBlueprint(state, folder.templates, parseBlueprint(bp.name, bp.content)).state;
  } catch (err) {
    if (err instanceof AysError) throw new CommandError(`${err.message}\nnothing was sent`);
    throw err;
  }
  const used = new Set(Object.values(state.services).map((s) => s.actor));
  const send = [...folder.sources.keys()].filter((t) => folder.own.has(t) || used.has(t)).sort();
  return { ...folder, send };
}

async function store(api: CockpitApi, repo: string, folder: CheckedFolder): Promise<void> {
  const created = await api.call("POST", "/ays/repository", { name: repo });
  if (created.status === 201) console.log(`repository ${repo}: created at ${api.origin}`);
  else if (created.status === 409) console.log(`repository ${repo}: exists at ${api.origin}, updating it`);
  else throw refusal(`creating repository ${repo}`, created);

  const path = `/ays/repository/${encodeURIComponent(repo)}`;
  for (const name of folder.send) {
    const files = folder.sources.get(name)!;
    const stored = await api.call("POST", `${path}/template`, {
      name,
      ...(files.config !== undefined ? { config: files.config } : {}),
      ...(files.schema !== undefined ? { schema: files.schema } : {}),
      ...(files.actionsJs !== undefined ? { actions: files.actionsJs } : {}),
      ...(files.actionsPy !== undefined ? { actions_py: files.actionsPy } : {}),
    });
    if (stored.status !== 201) throw refusal(`template ${name}`, stored);
    console.log(`  template  ${name}`);
  }
  for (const bp of folder.blueprints) {
    let saved = await api.call("POST", `${path}/blueprint`, { name: bp.name, content: bp.content });
    let verb = "created";
    if (saved.status === 409) {
      saved = await api.call("PUT", `${path}/blueprint/${encodeURIComponent(bp.name)}`, { content: bp.content });
      verb = "updated";
    }
    if (!saved.ok) throw refusal(`blueprint ${bp.name}`, saved);
    console.log(`  blueprint ${bp.name} ${verb}`);
  }
}

async function execute(api: CockpitApi, repo: string, folder: CheckedFolder): Promise<void> {
  for (const bp of folder.blueprints) {
    const done = await api.call<{ msg: string }>("POST", `/ays/repository/${encodeURIComponent(repo)}/blueprint/${encodeURIComponent(bp.name)}`);
    if (!done.ok) throw refusal(`executing blueprint ${bp.name}`, done);
    console.log(`  executed  ${bp.name}: ${done.body.msg}`);
  }
}

/** Starts a run; null when there is nothing to run. */
async function startRun(api: CockpitApi, repo: string, simulate: boolean): Promise<RunRecord | null> {
  const started = await api.call<RunRecord>("POST", `/ays/repository/${encodeURIComponent(repo)}/aysrun${simulate ? "?simulate=true" : ""}`);
  if (started.status === 409 && started.body.code === "nothing_to_run") {
    console.log("nothing to run: every scheduled action is done already");
    return null;
  }
  if (!started.ok) throw refusal("starting a run", started);
  return started.body;
}

function jobCount(run: RunRecord): number {
  return run.steps.reduce((n, s) => n + s.jobs.length, 0);
}

async function simulate(api: CockpitApi, repo: string): Promise<number> {
  const run = await startRun(api, repo, true);
  if (!run) return 0;
  console.log(`run ${run.key} (simulated): ${run.steps.length} steps, ${jobCount(run)} jobs`);
  const width = Math.max(0, ...run.steps.flatMap((s) => s.jobs.map((j) => j.service.length)));
  for (const step of run.steps) {
    console.log(`  step ${step.number}`);
    for (const job of step.jobs) console.log(`    ${job.service.padEnd(width)}  ${job.action}`);
  }
  return 0;
}

/** Follows a run by polling it, printing each job as it ends, then the run's outcome. */
async function follow(api: CockpitApi, repo: string): Promise<number> {
  const first = await startRun(api, repo, false);
  if (!first) return 0;
  console.log(`run ${first.key}: ${first.steps.length} steps, ${jobCount(first)} jobs — ${api.origin}/console/repo/${repo}/run/${first.key}`);
  const reported = new Set<string>();
  const width = Math.max(0, ...first.steps.flatMap((s) => s.jobs.map((j) => j.service.length)));
  let run = first;
  for (;;) {
    for (const step of run.steps) {
      for (const job of step.jobs) {
        const id = `${job.key} ${job.attempts} ${job.state}`;
        if (!hasEnded(job.state) || reported.has(id)) continue;
        reported.add(id);
        const mark = job.state === "error" ? "ERROR" : job.state;
        const retries = job.attempts > 1 ? ` (${job.attempts} attempts)` : "";
        console.log(`  ${mark.padEnd(9)}  step ${step.number}  ${job.service.padEnd(width)}  ${job.action}${retries}`);
      }
    }
    if (hasEnded(run.state)) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
    const now = await api.call<RunRecord>("GET", `/ays/repository/${encodeURIComponent(repo)}/aysrun/${encodeURIComponent(first.key)}`);
    if (!now.ok) throw refusal(`following run ${first.key}`, now);
    run = now.body;
  }
  console.log(`run ${run.key}: ${run.state}`);
  for (const failure of run.errors) {
    console.log(`  ${failure.service} ${failure.action}:`);
    for (const line of failure.logs) console.log(`    ${line.log}`);
  }
  return run.state === "ok" ? 0 : 1;
}
