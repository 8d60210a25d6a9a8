/**
 * Job files in R2: input files are handed in by the caller; result files are written by the
 * action under jobs/<jobKey>/out/<name>.
 */

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Returns why `name` cannot name a result file, or null. */
export function fileNameProblem(name: unknown): string | null {
  if (typeof name !== "string") return "a file name must be a string";
  if (!FILE_NAME.test(name)) {
    return `invalid file name ${JSON.stringify(name)}: use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit`;
  }
  return null;
}

export function resultFileKey(jobKey: string, name: string): string {
  return `jobs/${jobKey}/out/${name}`;
}

const CONTENT_TYPE = /^[\w.+-]+\/[\w.+-]+(\s*;\s*[\w.+-]+=("[^"]*"|[\w.+-]+))*$/;

export function contentTypeProblem(contentType: unknown): string | null {
  if (contentType === undefined) return null;
  if (typeof contentType !== "string" || contentType.length > 200 || !CONTENT_TYPE.test(contentType)) {
    return `invalid content type ${JSON.stringify(contentType)}`;
  }
  return null;
}

/** Turns what the action wrote into bytes, or throws. */
export function toBytes(content: unknown): Uint8Array {
  if (typeof content === "string") return new TextEncoder().encode(content);
  if (content instanceof ArrayBuffer) return new Uint8Array(content);
  if (ArrayBuffer.isView(content)) return new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
  throw new TypeError("files.write: content must be a string, an ArrayBuffer or a typed array");
}
