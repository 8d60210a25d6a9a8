/**
 * Reads an AYS repository folder from disk for the offline planner: `actorTemplates/<name>/` and
 * `blueprints/*.yaml`, plus template folders given with `--templates`.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { parseTemplate, templateNameFromFolder, type ActorTemplate, type TemplateFiles } from "../ays/index.ts";
import { CommandError } from "./command.ts";

const TEMPLATE_FILES: Record<keyof TemplateFiles, string> = {
  config: "config.yaml",
  schema: "schema.capnp",
  actionsJs: "actions.js",
  actionsPy: "actions.py",
};

export interface LoadedRepository {
  templates: Map<string, ActorTemplate>;
  /** Each template's files as read, for `cockpit push`; the same precedence as `templates`. */
  sources: Map<string, TemplateFiles>;
  /** Templates from the repository's own `actorTemplates/` (the others came with `--templates`). */
  own: Set<string>;
  /** Active blueprints in file-name order (archived `_*.yaml` left out). */
  blueprints: { name: string; content: string }[];
  archived: string[];
  warnings: string[];
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

async function readIfPresent(path: string): Promise<string | undefined> {
  return readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
}

/**
 * Reads one template folder; `undefined` when it is not an AYS 8.2 template. A folder with only an
 * `actions.py` beside HRD files is an AYS 8.0 template (class-based actions), not one of ours.
 */
async function readTemplateFolder(dir: string): Promise<TemplateFiles | undefined> {
  const files: TemplateFiles = {};
  for (const [key, file] of Object.entries(TEMPLATE_FILES) as [keyof TemplateFiles, string][]) {
    const text = await readIfPresent(join(dir, file));
    if (text !== undefined) files[key] = text;
  }
  const is82 = files.config !== undefined || files.schema !== undefined || files.actionsJs !== undefined;
  if (is82) return files;
  if (files.actionsPy !== undefined && !(await isHrdTemplate(dir))) return files;
  return undefined;
}

async function isHrdTemplate(dir: string): Promise<boolean> {
  return (await readIfPresent(join(dir, "schema.hrd"))) !== undefined || (await readIfPresent(join(dir, "service.hrd"))) !== undefined;
}

/**
 * Collects templates from a folder that is either one template or a folder of templates.
 * Later sources override earlier ones, as a repository's `actorTemplates/` overrides global
 * template repositories in AYS.
 */
async function collectTemplates(
  root: string,
  into: Pick<LoadedRepository, "templates" | "sources">,
  warnings: string[],
): Promise<string[]> {
  const single = await readTemplateFolder(root);
  const folders = single ? [root] : (await readdir(root)).sort().map((n) => join(root, n));
  const seenHere = new Map<string, string>();
  const skipped: string[] = [];
  for (const dir of folders) {
    if (!(await isDir(dir))) continue;
    const files = single && dir === root ? single : await readTemplateFolder(dir);
    if (!files) {
      if (await isHrdTemplate(dir)) skipped.push(basename(dir));
      continue;
    }
    const name = templateNameFromFolder(basename(dir));
    const clash = seenHere.get(name);
    if (clash) throw new CommandError(`${dir}: template "${name}" is also defined by ${clash}`);
    seenHere.set(name, dir);
    into.templates.set(name, parseTemplate(name, files, dir));
    into.sources.set(name, files);
  }
  if (skipped.length) {
    warnings.push(
      `${root}: skipped ${skipped.length} AYS 8.0 template folder(s) (schema.hrd): ${skipped.join(", ")}; ` +
        "Cockpit reads AYS 8.2 templates (config.yaml, schema.capnp, actions.js)",
    );
  }
  return [...seenHere.keys()];
}

export async function loadRepositoryFolder(dir: string, templateDirs: readonly string[]): Promise<LoadedRepository> {
  if (!(await isDir(dir))) throw new CommandError(`${dir}: not a folder`);
  const found = { templates: new Map<string, ActorTemplate>(), sources: new Map<string, TemplateFiles>() };
  const warnings: string[] = [];
  for (const extra of templateDirs) {
    if (!(await isDir(extra))) throw new CommandError(`--templates ${extra}: not a folder`);
    await collectTemplates(extra, found, warnings);
  }
  const local = join(dir, "actorTemplates");
  const own = new Set(await isDir(local) ? await collectTemplates(local, found, warnings) : []);

  const bpDir = join(dir, "blueprints");
  if (!(await isDir(bpDir))) throw new CommandError(`${dir}: no blueprints/ folder: not an AYS repository`);
  const names = (await readdir(bpDir)).filter((n) => /\.ya?ml$/i.test(n)).sort();
  const blueprints: LoadedRepository["blueprints"] = [];
  const archived: string[] = [];
  for (const name of names) {
    if (name.startsWith("_")) {
      archived.push(name);
      continue;
    }
    blueprints.push({ name, content: await readFile(join(bpDir, name), "utf8") });
  }
  return { ...found, own, blueprints, archived, warnings };
}
