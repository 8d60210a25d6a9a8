/**
 * /errors: the actions outside runs failing now (recurring, event-triggered; folded: "failing since
 * 09:14 UTC, 37 times") and the latest errors of the runs of every repository; /errorsof TEXT: only
 * those mentioning TEXT.
 */
import { Composer } from "grammy";
import { clock } from "../../actors/repository/failures.ts";
import { b, code, html, pre, type Block } from "../format.ts";
import { orgActor, repoActor, runResult } from "../ops.ts";
import { ask, command, say, type Answers, type Ctx } from "./shared.ts";

const ERRORS_SHOWN = 20;

async function listErrors(ctx: Ctx, filter: string | null): Promise<void> {
  const cp = ctx.cockpit;
  const repos = (await orgActor(cp).listRepositories()).map((r) => r.name);
  const found: { when: number; line: string; logs: string; loose?: true }[] = [];
  for (const repo of repos) {
    const actor = repoActor(cp, repo);
    for (const f of await actor.failing()) {
      const line = `${repo} ${f.service} ${f.action} (failing since ${clock(f.since)}, ${f.count} ${f.count === 1 ? "time" : "times"})`;
      if (filter && !`${line}\n${f.reason}`.toLowerCase().includes(filter.toLowerCase())) continue;
      found.push({ when: f.since, line, logs: f.reason, loose: true });
    }
    for (const summary of (await actor.listRuns()).runs.filter((r) => r.state === "error").slice(0, 10)) {
      const full = runResult(await actor.getRun(summary.key));
      if (!full.ok) continue;
      for (const e of full.value.errors) {
        const logs = e.logs.slice(-3).map((l) => l.log).join("\n");
        const line = `${repo} ${full.value.key} ${e.service} ${e.action}`;
        if (filter && !`${line}\n${logs}`.toLowerCase().includes(filter.toLowerCase())) continue;
        found.push({ when: full.value.created, line, logs });
      }
    }
  }
  // What is failing now first, then the runs' errors, newest first.
  found.sort((x, y) => Number(!!y.loose) - Number(!!x.loose) || y.when - x.when);
  if (!found.length) return say(ctx, filter ? `No errors mention "${filter}".` : "No errors. 🎉");
  const blocks: Block[] = [html(b(filter ? `LIST OF ERRORS mentioning "${filter}":` : "LIST OF ERRORS:"))];
  // The same failure repeated by retries is shown once (the original de-duplicated its error flood).
  const seen = new Set<string>();
  for (const e of found) {
    const id = e.loose ? e.line : `${e.line.split(" ").slice(2).join(" ")}\n${e.logs}`;
    if (seen.has(id)) continue;
    seen.add(id);
    blocks.push(html(`❌ ${code(e.line)}`));
    if (e.logs) blocks.push(pre(e.logs));
    if (seen.size >= ERRORS_SHOWN) break;
  }
  await say(ctx, blocks);
}

export const errors = new Composer<Ctx>(
  command("errors", (ctx) => listErrors(ctx, null)),
  command("errorsof", async (ctx, _args, raw) => {
    if (raw.trim()) return listErrors(ctx, raw.trim());
    ask(ctx, { kind: "errorsof" });
    await say(ctx, "Which text should the errors mention?");
  }),
);

export const errorsAnswers: Answers<"errorsof"> = {
  errorsof: async (ctx, _question, text) => {
    ctx.cockpit.host.answered();
    return listErrors(ctx, text.trim());
  },
};
