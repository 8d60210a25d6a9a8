/** /repo: select, create, list and delete repositories; `/repo NAME` switches to (or creates) one. */
import { Composer } from "grammy";
import { NAME_PATTERN } from "../../ays/names.ts";
import { b, code, escapeHtml, html } from "../format.ts";
import { audit, createRepository, deleteRepository, orgActor } from "../ops.ts";
import { ask, command, currentRepo, grid, say, type Answers, type Button, type Ctx, type Handler } from "./shared.ts";

const NO_REPOS = "You don't have any repo for now, create the first one with: /repo create NAME";

const repo: Handler = async (ctx, [verb, ...rest]) => {
  const cp = ctx.cockpit;
  switch (verb?.toLowerCase()) {
    case undefined:
      await say(ctx, "What do you want to do?", [[["Select", "repo", "select"]], [["Create", "repo", "create"], ["List", "repo", "list"], ["Delete", "repo", "delete"]]]);
      return;
    case "create":
    case "add":
      if (!rest[0]) {
        ask(ctx, { kind: "repo.create" });
        await say(ctx, "Please enter the name of your repo (letters, digits, _ and -), or /cancel.");
        return;
      }
      await checkout(ctx, rest[0], true);
      return;
    case "select": {
      if (rest[0]) return checkout(ctx, rest[0], false);
      const repos = await orgActor(cp).listRepositories();
      if (!repos.length) return say(ctx, NO_REPOS);
      await say(ctx, "Choose the repo you want to work on.", grid(repos.map((r): Button => [r.name, "repo", "select", r.name])));
      return;
    }
    case "list": {
      const repos = await orgActor(cp).listRepositories();
      const current = currentRepo(ctx);
      const lines = [current ? `Current repo: ${b(current)}` : "No repo selected now."];
      if (repos.length) lines.push(`I have ${repos.length} repo(s) for you:`, ...repos.map((r) => `- ${code(r.name)}`));
      else lines.push(NO_REPOS);
      await say(ctx, [html(lines.join("\n"))]);
      return;
    }
    case "delete":
    case "remove": {
      if (!rest[0]) {
        const repos = await orgActor(cp).listRepositories();
        if (!repos.length) return say(ctx, "There is no repository to delete.");
        await say(ctx, "Which repository do you want to delete?", grid(repos.map((r): Button => [r.name, "repo", "delete", r.name])));
        return;
      }
      const confirmed = rest.includes("--yes");
      for (const name of rest.filter((r) => r !== "--yes")) {
        if (!(await orgActor(cp).getRepository(name))) {
          await say(ctx, [html(`Sorry, I can't find any repo named ${code(name)} :/`)]);
          continue;
        }
        if (!confirmed) {
          await say(ctx, [html(`Delete repository ${code(name)} with all its blueprints, services and runs?`)], [[[`Yes, delete ${name}`, "repo", "delete", name, "--yes"]]]);
          continue;
        }
        await deleteRepository(cp.env, cp.org, name);
        await audit(cp, "repository.deleted", name, `repository ${name} deleted`);
        if (cp.link?.current_repo === name) cp.link.current_repo = null;
        await say(ctx, [html(`Repo ${code(name)} removed`)]);
      }
      return;
    }
    default:
      // `/repo NAME` is the shortest way to switch (or create), as in the original.
      await checkout(ctx, verb!, true);
  }
};

async function checkout(ctx: Ctx, name: string, create: boolean): Promise<void> {
  const cp = ctx.cockpit;
  if (!NAME_PATTERN.test(name) || name.length > 100) {
    await say(ctx, "Sorry, I don't support this repo name, please name it without any special characters or spaces (letters, digits, _ and -).");
    return;
  }
  const exists = Boolean(await orgActor(cp).getRepository(name));
  if (!exists && !create) {
    await say(ctx, [html(`Selected repo doesn't exist: ${code(name)}. Create it with /repo create ${escapeHtml(name)}`)]);
    return;
  }
  if (!exists) {
    // Two people may race to create it; losing that race just selects it.
    if (await createRepository(cp.env, cp.org, name)) await audit(cp, "repository.created", name, `repository ${name} created`);
  }
  await orgActor(cp).telegramSelect(ctx.from!.id, name);
  if (cp.link) cp.link.current_repo = name;
  await say(ctx, [
    html(exists ? `This repo already exists, ${code(name)} is now your current working repo.` : `Repo ${code(name)} created, it's now your current working repo.`),
  ]);
}

export const repos = new Composer<Ctx>(command("repo", repo));

export const repoAnswers: Answers<"repo.create"> = {
  "repo.create": async (ctx, _question, text) => {
    ctx.cockpit.host.answered();
    return checkout(ctx, text.trim(), true);
  },
};
