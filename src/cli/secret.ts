/**
 * `cockpit secret set|list|delete`: the secret store of a running Cockpit (src/routes/ays/secrets.ts).
 * `set` reads the value from stdin, so it stays out of the shell's history and the process list.
 */
import { API_HELP, API_OPTIONS, cockpitApiFrom, refusal } from "./cockpit-api.ts";
import { CommandError, stringOption, UsageError, type Command } from "./command.ts";

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export const secretCommand: Command = {
  name: "secret",
  help: `Usage: cockpit secret set NAME [--repo REPO]     (the value on stdin)
       cockpit secret list [--repo REPO]
       cockpit secret delete NAME [--repo REPO]
                        [--url URL] [--token TOKEN] [--config FILE]

Keeps secrets that actions read with \`await job.secrets.get("NAME")\` when their template's
config.yaml lists the name (\`secrets: [NAME]\`). With --repo the secret is the repository's;
without, the organization's (a repository's secret of the same name shadows it). Values are
stored sealed and never shown again: list prints names, who set them and when.

\`set\` reads the value from stdin (one trailing line break is dropped), e.g.
  printf %s "$TOKEN" | cockpit secret set CLOUD_TOKEN --repo demo
  cockpit secret set SSH_KEY --repo demo < ~/.ssh/deploy_key

Options:
  --repo REPO       the repository (default: the organization)
${API_HELP}
  -h, --help        this text`,
  options: { ...API_OPTIONS, repo: { type: "string" } },
  allowPositionals: true,
  async run(args) {
    const [sub, name, ...extra] = args.positionals;
    if (sub !== "set" && sub !== "list" && sub !== "delete") throw new UsageError(sub ? `unknown subcommand "${sub}"` : "expected set, list or delete");
    if (extra.length || (sub === "list" ? name !== undefined : name === undefined)) throw new UsageError(sub === "list" ? "list takes no NAME" : `${sub} takes one NAME`);
    if (name !== undefined && !NAME.test(name)) throw new UsageError(`NAME: 1-64 of A-Z, a-z, 0-9 and _, not starting with a digit, got "${name}"`);
    const repo = stringOption(args, "repo");
    const base = repo === undefined ? "/ays/secret" : `/ays/repository/${encodeURIComponent(repo)}/secret`;
    const where = repo === undefined ? "the organization" : `repository ${repo}`;
    const api = await cockpitApiFrom(args);
    if (sub === "list") {
      const answer = await api.call<{ name: string; set_by: string; set_at: number }[]>("GET", base);
      if (!answer.ok) throw refusal(`listing the secrets of ${where}`, answer);
      const rows = answer.body as unknown as { name: string; set_by: string; set_at: number }[];
      if (rows.length === 0) console.log(`no secrets in ${where}`);
      for (const s of rows) console.log(`${s.name.padEnd(24)} set by ${s.set_by} at ${new Date(s.set_at).toISOString()}`);
      return 0;
    }
    if (sub === "delete") {
      const answer = await api.call("DELETE", `${base}/${name}`);
      if (!answer.ok) throw refusal(`deleting secret ${name} of ${where}`, answer);
      console.log(`secret ${name} of ${where} deleted`);
      return 0;
    }
    if (process.stdin.isTTY) console.error(`the value of ${name}, then Ctrl-D:`);
    const value = (await readStdin()).replace(/\r?\n$/, "");
    if (value === "") throw new CommandError(`no value on stdin for ${name}: pipe it in, e.g. printf %s "$VALUE" | cockpit secret set ${name}`);
    const answer = await api.call<{ key_id: string }>("PUT", `${base}/${name}`, { value });
    if (!answer.ok) throw refusal(`setting secret ${name} of ${where}`, answer);
    console.log(`secret ${name} of ${where} ${answer.status === 201 ? "created" : "replaced"}`);
    return 0;
  },
};
