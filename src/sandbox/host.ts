/**
 * The cockpit's side of the boundary. A JobHost is an RpcTarget handed to the sandbox as an RPC
 * argument; its methods are the only things the action can reach outside its isolate, and each one
 * checks its input again here, whatever the bootstrap already checked. The job's state lives in a
 * JobRecord that the sandbox cannot reach (an RpcTarget exposes its prototype's methods, so the
 * record is kept apart rather than as methods of the host).
 */
import { RpcTarget } from "cloudflare:workers";
import { checkEgress } from "./egress.ts";
import { contentTypeProblem, fileNameProblem, resultFileKey, toBytes } from "./files.ts";
import { SANDBOX_LIMITS } from "./limits.ts";
import { validatePatch } from "./schema.ts";
import { notify, notifyTarget } from "../notify/index.ts";
import { maskDeep, maskList, maskText } from "../secrets/mask.ts";
import type { ActionRequest, SecretReader, SandboxFile, SandboxQuestion, SandboxLogCategory, SandboxLogEntry, SandboxLogLevel } from "./types.ts";

const LEVELS: ReadonlySet<string> = new Set<SandboxLogLevel>(["debug", "info", "warning", "error"]);
/** Categories the sandbox may log under; errormsg and trace are written by the cockpit itself. */
const SANDBOX_CATEGORIES: ReadonlySet<string> = new Set<SandboxLogCategory>(["msg", "out", "err", "alert"]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Everything one job produced, as seen from the cockpit. */
export class JobRecord {
  readonly logs: SandboxLogEntry[] = [];
  /** Called with each log line as it is added, for live progress. */
  onLog: ((entry: SandboxLogEntry) => void) | undefined;
  readonly dataPatch: Record<string, unknown> = {};
  readonly resultFiles = new Map<string, SandboxFile>();
  /** Checks that failed here although the bootstrap should have caught them first. */
  readonly violations: string[] = [];
  started = false;
  closed = false;
  droppedLogs = 0;
  fetches = 0;
  notifications = 0;
  question: SandboxQuestion | undefined;
  reservedFileBytes = 0;
  /** What is masked as `***`: every secret value the job was given (src/secrets/mask.ts). */
  #masks: string[] = [];
  #secrets = new Set<string>();

  /** A secret value the job received: from now on it is masked in everything the job gives back. */
  received(value: string): void {
    this.#secrets.add(value);
    this.#masks = maskList(this.#secrets);
  }

  /** `value` with the secrets the job received masked (strings, nested ones, object keys). */
  mask<T>(value: T): T {
    return maskDeep(value, this.#masks);
  }

  add(level: SandboxLogLevel, category: SandboxLogCategory, raw: string): void {
    const text = maskText(raw, this.#masks);
    if (this.logs.length >= SANDBOX_LIMITS.maxLogEntries) {
      this.droppedLogs++;
      return;
    }
    const log = text.length > SANDBOX_LIMITS.maxLogChars ? `${text.slice(0, SANDBOX_LIMITS.maxLogChars)}… (cut)` : text;
    const entry: SandboxLogEntry = { epoch: Date.now(), level, category, log };
    this.logs.push(entry);
    try {
      this.onLog?.(entry);
    } catch {
      // A listener's failure must not fail the job.
    }
  }

  /** Ends the job: later calls from the sandbox (stray callbacks, a job past its timeout) are refused. */
  close(): void {
    this.closed = true;
    if (this.droppedLogs > 0) {
      this.logs.push({
        epoch: Date.now(),
        level: "warning",
        category: "msg",
        log: `${this.droppedLogs} more log lines were dropped (limit ${SANDBOX_LIMITS.maxLogEntries} per job)`,
      });
      this.droppedLogs = 0;
    }
  }
}

async function readLimited(stream: ReadableStream<Uint8Array>, limit: number, what: string): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new RangeError(`${what} is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * What a host method returns. Refusals come back as values, not exceptions: workerd reports every
 * exception thrown by an RpcTarget method as uncaught on this side, even when the sandbox catches
 * it, and a denied egress is not a cockpit error. The bootstrap turns `error` back into a throw.
 */
export type HostReply<T> = { value: T } | { error: { name: string; message: string } };

function refusal(err: unknown): { error: { name: string; message: string } } {
  if (err instanceof Error) return { error: { name: err.name, message: err.message } };
  return { error: { name: "Error", message: String(err) } };
}

function reply<T>(work: () => T): HostReply<T> {
  try {
    return { value: work() };
  } catch (err) {
    return refusal(err);
  }
}

async function replyAsync<T>(work: () => Promise<T>): Promise<HostReply<T>> {
  try {
    return { value: await work() };
  } catch (err) {
    return refusal(err);
  }
}

export class JobHost extends RpcTarget {
  #env: Env;
  #request: ActionRequest;
  #record: JobRecord;
  #readSecret: SecretReader | undefined;

  constructor(env: Env, request: ActionRequest, record: JobRecord, readSecret?: SecretReader) {
    super();
    this.#env = env;
    this.#request = request;
    this.#record = record;
    this.#readSecret = readSecret;
  }

  /** job.secrets.get: a secret the template lists, read (and audited) by the caller's reader now. */
  secret(name: unknown): Promise<HostReply<string>> {
    return replyAsync(() => this.#secret(name));
  }

  async #secret(name: unknown): Promise<string> {
    this.#open("job.secrets.get");
    if (typeof name !== "string") throw new TypeError("job.secrets.get: the name must be a string");
    const listed = this.#request.secrets ?? [];
    if (!listed.includes(name)) {
      const have = listed.length ? `it lists ${listed.join(", ")}` : "it lists none";
      throw new Error(`job.secrets.get: ${JSON.stringify(name.slice(0, 80))} is not in the template's config.yaml \`secrets:\` (${have}); add it there to read it`);
    }
    if (!this.#readSecret) throw new Error("job.secrets.get: this cockpit reads no secrets here");
    const value = await this.#readSecret(name);
    this.#open("job.secrets.get");
    this.#record.received(value);
    return value;
  }

  #open(what: string): void {
    if (this.#record.closed) throw new Error(`${what}: job ${this.#request.jobKey} is over`);
  }

  /** Called first by the bootstrap: from here on, a failure is the action's, not the module's load. */
  begin(): void {
    this.#record.started = true;
  }

  log(level: unknown, category: unknown, text: unknown): HostReply<void> {
    return reply(() => this.#log(level, category, text));
  }

  dropLogs(count: unknown): HostReply<void> {
    return reply(() => this.#dropLogs(count));
  }

  setData(patch: unknown): HostReply<void> {
    return reply(() => this.#setData(patch));
  }

  fetch(request: Request): Promise<HostReply<Response>> {
    return replyAsync(() => this.#fetch(request));
  }

  /** Part `index` of job.args (ActionRequest.argParts) as a stream of its JSON: no copy is held here. */
  argPart(index: unknown): Promise<HostReply<ReadableStream<Uint8Array>>> {
    return replyAsync(() => this.#argPart(index));
  }

  async #argPart(index: unknown): Promise<ReadableStream<Uint8Array>> {
    this.#open("job.args");
    const part = Number.isSafeInteger(index) ? this.#request.argParts?.[index as number] : undefined;
    if (!part) throw new RangeError(`job.args: no part ${String(index)}`);
    const object = await this.#env.FILES.get(part.key);
    if (object === null) throw new Error(`job.args.${part.at.join(".")}: ${part.key} is gone from storage (its event was pruned?)`);
    if (object.size > SANDBOX_LIMITS.maxArgPartBytes) {
      await object.body.cancel();
      throw new RangeError(`job.args.${part.at.join(".")}: ${part.key} is larger than ${SANDBOX_LIMITS.maxArgPartBytes} bytes`);
    }
    return object.body;
  }

  readFile(name: unknown, type: unknown = "text"): Promise<HostReply<string | ArrayBuffer>> {
    return replyAsync(() => this.#readFile(name, type));
  }

  writeFile(name: unknown, content: unknown, contentType?: unknown): Promise<HostReply<{ name: string; size: number }>> {
    return replyAsync(() => this.#writeFile(name, content, contentType));
  }

  /** job.notify: a Telegram message from the action to people (src/notify). */
  notify(text: unknown, to: unknown): Promise<HostReply<{ sent: number }>> {
    return replyAsync(() => this.#notify(text, to));
  }

  async #notify(text: unknown, to: unknown): Promise<{ sent: number }> {
    this.#open("job.notify");
    if (typeof text !== "string" || !text.trim()) throw new TypeError("job.notify: the message must be a non-empty string");
    if (text.length > SANDBOX_LIMITS.maxNotifyChars) throw new RangeError(`job.notify: the message is longer than ${SANDBOX_LIMITS.maxNotifyChars} characters`);
    const target = notifyTarget(to);
    if (++this.#record.notifications > SANDBOX_LIMITS.maxNotifications) {
      throw new RangeError(`job.notify: at most ${SANDBOX_LIMITS.maxNotifications} notifications per job`);
    }
    return { sent: await notify(this.#env, this.#request.service.key, this.#record.mask(text), target) };
  }

  /** job.ask: records the question; the ServiceActor asks it once the action has returned. */
  ask(text: unknown, options: unknown): HostReply<{ asked: true }> {
    return reply(() => this.#ask(text, options));
  }

  #ask(text: unknown, options: unknown): { asked: true } {
    this.#open("job.ask");
    const L = SANDBOX_LIMITS;
    if (this.#record.question) throw new RangeError("job.ask: one question per job; the action runs again with the answer in job.args.answer");
    if (typeof text !== "string" || !text.trim()) throw new TypeError("job.ask: the question must be a non-empty string");
    if (text.length > L.maxNotifyChars) throw new RangeError(`job.ask: the question is longer than ${L.maxNotifyChars} characters`);
    const o = (options ?? {}) as { to?: unknown; buttons?: unknown; timeout?: unknown };
    const to = notifyTarget(o.to);
    if (!to || !("user" in to)) throw new TypeError('job.ask: `to` must be {user: "name"}, a member linked to the bot');
    const buttons = o.buttons;
    if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > L.maxAskButtons
      || !buttons.every((b) => typeof b === "string" && b.trim() !== "" && b.length <= L.maxAskButtonChars)) {
      throw new TypeError(`job.ask: buttons must be 1-${L.maxAskButtons} answers, each a string of 1-${L.maxAskButtonChars} characters`);
    }
    const timeout = o.timeout ?? 120;
    if (!Number.isInteger(timeout) || (timeout as number) < 1 || (timeout as number) > L.maxAskTimeoutSeconds) {
      throw new RangeError(`job.ask: timeout must be a whole number of seconds, 1-${L.maxAskTimeoutSeconds}`);
    }
    this.#record.question = this.#record.mask({ text, to, buttons: [...(buttons as string[])], timeoutSeconds: timeout as number });
    return { asked: true };
  }

  #log(level: unknown, category: unknown, text: unknown): void {
    this.#open("log");
    if (typeof level !== "string" || !LEVELS.has(level)) throw new TypeError(`log: unknown level ${JSON.stringify(level)}`);
    if (typeof category !== "string" || !SANDBOX_CATEGORIES.has(category)) throw new TypeError(`log: unknown category ${JSON.stringify(category)}`);
    this.#record.add(level as SandboxLogLevel, category as SandboxLogCategory, String(text));
  }

  /** The bootstrap stops sending log lines past the limit and reports how many it dropped. */
  #dropLogs(count: unknown): void {
    this.#open("log");
    if (Number.isSafeInteger(count) && (count as number) > 0) this.#record.droppedLogs += count as number;
  }

  #setData(patch: unknown): void {
    this.#open("setData");
    let clean: Record<string, unknown>;
    try {
      clean = validatePatch(patch, this.#request.schema);
    } catch (err) {
      this.#record.violations.push(err instanceof Error ? err.message : String(err));
      throw err;
    }
    const merged = { ...this.#record.dataPatch, ...clean };
    if (JSON.stringify(merged).length > SANDBOX_LIMITS.maxDataPatchBytes) {
      const message = `setData: the patches are larger than ${SANDBOX_LIMITS.maxDataPatchBytes} bytes`;
      this.#record.violations.push(message);
      throw new RangeError(message);
    }
    Object.assign(this.#record.dataPatch, clean);
  }

  /** An egress-checked fetch. Redirects are followed here, each hop checked against the rules. */
  async #fetch(request: Request): Promise<Response> {
    this.#open("job.fetch");
    const egress = this.#request.egress;
    let url = checkEgress(request.url, egress);
    let method = request.method;
    const headers = new Headers(request.headers);
    let body: Uint8Array | null = request.body ? await readLimited(request.body, SANDBOX_LIMITS.maxFetchBodyBytes, "job.fetch: the request body") : null;
    for (let hop = 0; ; hop++) {
      this.#open("job.fetch");
      if (++this.#record.fetches > SANDBOX_LIMITS.maxFetches) {
        throw new RangeError(`job.fetch: more than ${SANDBOX_LIMITS.maxFetches} requests in one job`);
      }
      // `fetch` is looked up on each call (not captured), so tests can stand in for the network.
      const response = await fetch(url.href, { method, headers, body, redirect: "manual" });
      const location = response.headers.get("location");
      if (!REDIRECTS.has(response.status) || location === null) return response;
      await response.body?.cancel();
      if (hop >= SANDBOX_LIMITS.maxRedirects) throw new RangeError(`job.fetch: more than ${SANDBOX_LIMITS.maxRedirects} redirects`);
      const next = checkEgress(new URL(location, url).href, egress);
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) {
        method = "GET";
        body = null;
        headers.delete("content-type");
        headers.delete("content-length");
      }
      // Credentials meant for one host do not follow a redirect to another.
      if (next.host !== url.host) {
        headers.delete("authorization");
        headers.delete("cookie");
      }
      url = next;
    }
  }

  async #readFile(name: unknown, type: unknown): Promise<string | ArrayBuffer> {
    this.#open("files.read");
    if (type !== "text" && type !== "arrayBuffer") throw new TypeError(`files.read: type must be "text" or "arrayBuffer", not ${JSON.stringify(type)}`);
    const file = this.#request.inputFiles.find((f) => f.name === name);
    if (!file) {
      const have = this.#request.inputFiles.map((f) => f.name).join(", ") || "none";
      throw new Error(`files.read: no input file named ${JSON.stringify(name)} (input files: ${have})`);
    }
    const object = await this.#env.FILES.get(file.key);
    if (object === null) throw new Error(`files.read: input file ${JSON.stringify(file.name)} is missing from storage`);
    if (object.size > SANDBOX_LIMITS.maxInputReadBytes) {
      await object.body.cancel();
      throw new RangeError(`files.read: ${file.name} is larger than ${SANDBOX_LIMITS.maxInputReadBytes} bytes`);
    }
    return type === "text" ? object.text() : object.arrayBuffer();
  }

  async #writeFile(name: unknown, content: unknown, contentType: unknown): Promise<{ name: string; size: number }> {
    this.#open("files.write");
    const nameProblem = fileNameProblem(name);
    if (nameProblem) throw new TypeError(`files.write: ${nameProblem}`);
    const typeProblem = contentTypeProblem(contentType);
    if (typeProblem) throw new TypeError(`files.write: ${typeProblem}`);
    const fileName = name as string;
    const bytes = toBytes(content);
    const record = this.#record;
    if (bytes.byteLength > SANDBOX_LIMITS.maxResultFileBytes) {
      throw new RangeError(`files.write: ${fileName} is larger than ${SANDBOX_LIMITS.maxResultFileBytes} bytes`);
    }
    const previous = record.resultFiles.get(fileName);
    if (!previous && record.resultFiles.size >= SANDBOX_LIMITS.maxResultFiles) {
      throw new RangeError(`files.write: a job may write at most ${SANDBOX_LIMITS.maxResultFiles} files`);
    }
    // Reserve the bytes before awaiting, so concurrent writes cannot pass the total together.
    let used = bytes.byteLength + record.reservedFileBytes;
    for (const f of record.resultFiles.values()) used += f.name === fileName ? 0 : f.size;
    if (used > SANDBOX_LIMITS.maxResultBytesTotal) {
      throw new RangeError(`files.write: the job's files would exceed ${SANDBOX_LIMITS.maxResultBytesTotal} bytes`);
    }
    record.reservedFileBytes += bytes.byteLength;
    const key = resultFileKey(this.#request.jobKey, fileName);
    try {
      // The retention sweep (src/files/retention.ts) deletes objects past their `expires`.
      const expiresAt = this.#request.filesExpireAt;
      await this.#env.FILES.put(key, bytes, {
        ...(contentType ? { httpMetadata: { contentType: contentType as string } } : {}),
        ...(expiresAt ? { customMetadata: { expires: new Date(expiresAt).toISOString() } } : {}),
      });
    } finally {
      record.reservedFileBytes -= bytes.byteLength;
    }
    if (record.closed) {
      // The job ended while this write was under way: the outcome no longer lists it, so drop it.
      await this.#env.FILES.delete(key);
      throw new Error(`files.write: job ${this.#request.jobKey} is over`);
    }
    const file: SandboxFile = { name: fileName, key, size: bytes.byteLength };
    if (typeof contentType === "string") file.contentType = contentType;
    record.resultFiles.set(fileName, file);
    return { name: fileName, size: bytes.byteLength };
  }
}
