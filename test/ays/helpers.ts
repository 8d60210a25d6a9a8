/** Small builders for tests that need templates the samples do not have. */
import { AysError, parseTemplate, templateIndex } from "../../src/ays/index.ts";
import type { ActorTemplate, TemplateFiles, TemplateIndex } from "../../src/ays/index.ts";

export function tmpl(name: string, files: TemplateFiles): ActorTemplate {
  return parseTemplate(name, files, `inline/${name}`);
}

export function index(...templates: ActorTemplate[]): TemplateIndex {
  return templateIndex(templates);
}

/** Runs `fn` and returns the AysError it throws (fails the test if it throws nothing or something else). */
export function aysErrorOf(fn: () => unknown): AysError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AysError) return e;
    throw e;
  }
  throw new Error("expected an AysError, nothing was thrown");
}
