/**
 * Pieces of the sandbox's main module (bootstrap.ts) that stand on their own: JavaScript source
 * text, spliced into the module in order. They use the primitives the bootstrap captures first
 * (`LIMITS`, `NativeArrayBuffer`, `isView`, `construct`).
 */

/** Caps on single allocations (local workerd sets no memory limit on isolates). */
export const ALLOCATION_CAPS = `// === Allocation caps. Local workerd sets no memory limit on isolates, and a single
// \`new Uint8Array(2 ** 34).fill(1)\` would take the host's memory; production stops an isolate at
// 128 MB anyway, so no action needs a larger buffer.
function checkBytes(bytes, what) {
  if (typeof bytes === "number" && bytes > LIMITS.maxBufferBytes) {
    throw new RangeError(what + " of " + bytes + " bytes is over the sandbox's limit of " + LIMITS.maxBufferBytes + " bytes");
  }
}
function elementCount(arg) {
  if (typeof arg === "number") return arg;
  if (typeof arg === "object" && arg !== null && !(arg instanceof NativeArrayBuffer) && !isView(arg)) {
    const length = Number(arg.length);
    return Number.isFinite(length) ? length : 0;
  }
  return 0;
}
function capConstructor(name, bytesOf) {
  const Native = globalThis[name];
  if (typeof Native !== "function") return;
  const Capped = new Proxy(Native, {
    construct(target, args, newTarget) {
      checkBytes(bytesOf(args), name);
      return construct(target, args, newTarget);
    },
  });
  Object.defineProperty(globalThis, name, { value: Capped, writable: true, configurable: true, enumerable: false });
}
for (const name of ["ArrayBuffer", "SharedArrayBuffer"]) {
  capConstructor(name, (args) => Math.max(Number(args[0]) || 0, Number(args[1] && args[1].maxByteLength) || 0));
}
for (const name of ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Float16Array", "Int32Array",
  "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]) {
  const size = globalThis[name] && globalThis[name].BYTES_PER_ELEMENT;
  capConstructor(name, (args) => elementCount(args[0]) * size);
}
for (const [owner, method] of [[NativeArrayBuffer.prototype, "resize"], [NativeArrayBuffer.prototype, "transfer"],
  [NativeArrayBuffer.prototype, "transferToFixedLength"]]) {
  const native = owner[method];
  if (typeof native !== "function") continue;
  owner[method] = function (length, ...rest) {
    checkBytes(length, "ArrayBuffer." + method);
    return native.call(this, length, ...rest);
  };
}
if (typeof WebAssembly === "object" && typeof WebAssembly.Memory === "function") {
  const NativeMemory = WebAssembly.Memory;
  const grow = NativeMemory.prototype.grow;
  WebAssembly.Memory = new Proxy(NativeMemory, {
    construct(target, args, newTarget) {
      checkBytes(Number(args[0] && args[0].initial) * 65536, "WebAssembly.Memory");
      return construct(target, args, newTarget);
    },
  });
  NativeMemory.prototype.grow = function (pages) {
    checkBytes((this.buffer.byteLength / 65536 + Number(pages)) * 65536, "WebAssembly.Memory");
    return grow.call(this, pages);
  };
}
`;

/** setData's schema check: a copy of src/sandbox/schema.ts (the cockpit's is authoritative). */
export const SCHEMA_CHECK = `// === setData's schema check: a copy of src/sandbox/schema.ts (the cockpit's is authoritative).
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const FLOAT32_MAX = 3.4028234663852886e38;
function scalarProblem(type, value) {
  switch (type) {
    case "Text": return typeof value === "string" ? null : "expected a string";
    case "Data": return typeof value === "string" ? null : "expected a string (Data is stored as text, e.g. base64)";
    case "Bool": return typeof value === "boolean" ? null : "expected a boolean";
    case "Int32": return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX ? null : "expected a 32-bit integer";
    case "Int64": return Number.isSafeInteger(value) ? null : "expected an integer";
    case "UInt64": return Number.isSafeInteger(value) && value >= 0 ? null : "expected a non-negative integer";
    case "Float64": return typeof value === "number" && Number.isFinite(value) ? null : "expected a number";
    case "Float32": return typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= FLOAT32_MAX ? null : "expected a 32-bit float";
  }
  return "has an unknown type";
}
function isPlainObject(value) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
function validatePatch(patch, fields) {
  if (!isPlainObject(patch)) throw new TypeError("setData: the patch must be an object of field values");
  const clean = {};
  for (const [name, value] of Object.entries(patch)) {
    const field = fields.get(name);
    if (!field) throw new TypeError("setData: unknown field " + JSON.stringify(name));
    if (field.list) {
      if (!Array.isArray(value)) throw new TypeError("setData: field " + JSON.stringify(name) + " expected a list");
      value.forEach((item, i) => {
        const problem = scalarProblem(field.type, item);
        if (problem) throw new TypeError("setData: field " + JSON.stringify(name) + " item " + i + " " + problem);
      });
      clean[name] = [...value];
    } else {
      const problem = scalarProblem(field.type, value);
      if (problem) throw new TypeError("setData: field " + JSON.stringify(name) + " " + problem);
      clean[name] = value;
    }
  }
  return clean;
}
`;
