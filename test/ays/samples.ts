/**
 * Loads shared/ays-samples at transform time (workerd tests cannot read the disk): templates by
 * actor name and blueprints by file name.
 *
 * Template names: the fixture folders are `tmplNN_aysNN_<name>`, and for most of them <name> is
 * the real actor name. Two folders carry a descriptive name instead (tmpl05 "recurring_test" is the
 * actor `test_recurring_actions_1`, tmpl06 "timeouts_simpleactor" is `simpleactor`), so the name
 * is taken from the original path recorded in SOURCES.md, which is where the folder was copied from.
 */
import { parseTemplate, templateIndex, templateNameFromFolder } from "../../src/ays/index.ts";
import type { ActorTemplate, TemplateFiles, TemplateIndex } from "../../src/ays/index.ts";

const files = import.meta.glob("../../../shared/ays-samples/**/*", { query: "?raw", import: "default", eager: true }) as Record<string, string>;
const PREFIX = "../../../shared/ays-samples/";

function sampleFile(path: string): string {
  const content = files[PREFIX + path];
  if (content === undefined) throw new Error(`sample ${path} not found`);
  return content;
}

/** Fixture folder -> original template name, from the path column of SOURCES.md. */
export function sourceTemplateNames(): Map<string, string> {
  const names = new Map<string, string>();
  for (const row of sampleFile("SOURCES.md").split("\n")) {
    if (!row.startsWith("| tmpl")) continue;
    const cells = row.split("|").map((c) => c.trim());
    const folder = cells[1] as string;
    const path = cells.find((c) => /\/(\{[^}]*\}|\*)$/.test(c));
    if (!path) continue;
    const dir = path.replace(/\/(\{[^}]*\}|\*)$/, "");
    names.set(folder, dir.slice(dir.lastIndexOf("/") + 1));
  }
  return names;
}

export interface SampleTemplateFolder {
  folder: string;
  name: string;
  files: TemplateFiles;
  /** AYS 8.0 folders (schema.hrd/service.hrd only) are not 8.2 templates. */
  hrdOnly: boolean;
}

export function templateFolders(): SampleTemplateFolder[] {
  const byFolder = new Map<string, Map<string, string>>();
  for (const [path, content] of Object.entries(files)) {
    const rel = path.slice(PREFIX.length);
    const slash = rel.indexOf("/");
    if (!rel.startsWith("tmpl") || slash === -1) continue;
    const folder = rel.slice(0, slash);
    const entries = byFolder.get(folder) ?? new Map<string, string>();
    entries.set(rel.slice(slash + 1), content);
    byFolder.set(folder, entries);
  }
  const names = sourceTemplateNames();
  return [...byFolder.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([folder, entries]) => {
      const tf: TemplateFiles = {};
      const config = entries.get("config.yaml");
      const schema = entries.get("schema.capnp");
      const js = entries.get("actions.js");
      const py = entries.get("actions.py");
      if (config !== undefined) tf.config = config;
      if (schema !== undefined) tf.schema = schema;
      if (js !== undefined) tf.actionsJs = js;
      if (py !== undefined) tf.actionsPy = py;
      return {
        folder,
        name: names.get(folder) ?? templateNameFromFolder(folder),
        files: tf,
        hrdOnly: config === undefined && schema === undefined,
      };
    });
}

export function sampleTemplates(): Map<string, ActorTemplate> {
  const list = templateFolders()
    .filter((f) => !f.hrdOnly)
    .map((f) => parseTemplate(f.name, f.files, f.folder));
  return new Map(templateIndex(list));
}

/** The same index, narrowed to the named templates (a repository only has some of them). */
export function templatesNamed(...names: string[]): TemplateIndex {
  const all = sampleTemplates();
  return new Map(names.map((n) => {
    const t = all.get(n);
    if (!t) throw new Error(`no sample template ${n}`);
    return [n, t] as const;
  }));
}

/** Blueprint file contents by file name; `blueprint("bp06")` finds the file by its prefix. */
export function sampleBlueprints(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, content] of Object.entries(files)) {
    const rel = path.slice(PREFIX.length);
    if (/^bp\d+_.*\.yaml$/.test(rel)) out.set(rel, content);
  }
  return out;
}

export function blueprintFile(prefix: string): { name: string; content: string } {
  const matches = [...sampleBlueprints().entries()].filter(([name]) => name.startsWith(`${prefix}_`));
  if (matches.length !== 1) throw new Error(`expected one blueprint named ${prefix}_*, found ${matches.length}`);
  const [name, content] = matches[0] as [string, string];
  return { name, content };
}
