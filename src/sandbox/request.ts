/**
 * Guards on what a caller hands to runAction(). A bad request is a bug of the caller, not of the
 * action, so it throws instead of producing an error outcome.
 */
import { egressEntryProblem } from "./egress.ts";
import { fileNameProblem } from "./files.ts";
import { SANDBOX_LIMITS } from "./limits.ts";
import type { ActionRequest, SandboxFieldType } from "./types.ts";

export class SandboxRequestError extends Error {
  override name = "SandboxRequestError";
}

/** Keys go into R2 object keys and isolate ids: no slashes, no whitespace. */
const KEY = /^[A-Za-z0-9][A-Za-z0-9._:!@=+-]{0,199}$/;
const ACTION = /^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/;
const FIELD_TYPES: ReadonlySet<SandboxFieldType> = new Set(["Text", "Int64", "Int32", "UInt64", "Bool", "Float64", "Float32", "Data"]);

function fail(message: string): never {
  throw new SandboxRequestError(`runAction: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function validateRequest(request: ActionRequest): void {
  if (!isRecord(request)) fail("the request must be an object");
  if (typeof request.jobKey !== "string" || !KEY.test(request.jobKey)) fail(`invalid jobKey ${JSON.stringify(request.jobKey)}`);
  if (typeof request.code !== "string") fail("code must be the actions.js source");
  if (request.code.length > SANDBOX_LIMITS.maxCodeChars) fail(`actions.js is larger than ${SANDBOX_LIMITS.maxCodeChars} characters`);
  if (typeof request.action !== "string" || !ACTION.test(request.action)) fail(`invalid action name ${JSON.stringify(request.action)}`);
  if (!Number.isFinite(request.timeoutMs) || request.timeoutMs <= 0 || request.timeoutMs > SANDBOX_LIMITS.maxTimeoutMs) {
    fail(`timeoutMs must be between 1 and ${SANDBOX_LIMITS.maxTimeoutMs}, got ${String(request.timeoutMs)}`);
  }
  if (request.cpuMs !== undefined && (!Number.isInteger(request.cpuMs) || request.cpuMs < 1 || request.cpuMs > SANDBOX_LIMITS.maxCpuMs)) {
    fail(`cpuMs must be an integer between 1 and ${SANDBOX_LIMITS.maxCpuMs}, got ${String(request.cpuMs)}`);
  }
  if (!isRecord(request.args)) fail("args must be an object");
  const service = request.service;
  if (!isRecord(service) || !isRecord(service.data) || typeof service.key !== "string") fail("service must be an object with key and data");
  if (!Array.isArray(request.egress)) fail("egress must be a list of host names");
  for (const entry of request.egress) {
    const problem = egressEntryProblem(entry);
    if (problem) fail(problem);
  }
  if (!Array.isArray(request.schema)) fail("schema must be a list of fields");
  for (const field of request.schema) {
    if (!isRecord(field) || typeof field.name !== "string" || !FIELD_TYPES.has(field.type) || typeof field.list !== "boolean") {
      fail(`invalid schema field ${JSON.stringify(field)}`);
    }
  }
  for (const part of request.argParts ?? []) {
    if (!isRecord(part) || !Array.isArray(part.at) || part.at.length === 0 || !part.at.every((k) => typeof k === "string" && k !== "__proto__")) fail("an args part needs a path `at` of keys");
    if (typeof part.key !== "string" || part.key.length === 0) fail("an args part needs its R2 key");
  }
  if (request.secrets !== undefined && (!Array.isArray(request.secrets) || !request.secrets.every((n) => typeof n === "string"))) fail("secrets must be a list of names");
  if (!Array.isArray(request.inputFiles)) fail("inputFiles must be a list");
  const names = new Set<string>();
  for (const file of request.inputFiles) {
    const problem = isRecord(file) ? fileNameProblem(file.name) : "an input file must be an object";
    if (problem) fail(`input file: ${problem}`);
    if (typeof file.key !== "string" || file.key.length === 0) fail(`input file ${file.name}: missing R2 key`);
    if (!Number.isSafeInteger(file.size) || file.size < 0) fail(`input file ${file.name}: invalid size`);
    if (names.has(file.name)) fail(`input file ${file.name} is listed twice`);
    names.add(file.name);
  }
}
