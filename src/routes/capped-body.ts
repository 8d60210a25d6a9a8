/**
 * Request bodies read as a stream with a size cap: a declared Content-Length over the cap is refused
 * before anything is read, and a body without one (chunked) is refused as soon as its bytes pass the
 * cap, so no more than `max` bytes are ever held.
 */
import { ApiError } from "../operations/errors.ts";

/**
 * @param limit names the limit in the 413's reason (`[webhooks] max_bytes`)
 * @throws ApiError 413 `too_large` past `max` bytes
 */
/** A body whose Content-Length is over `max` is refused (413) before anything else is looked at. */
export async function refuseDeclaredOver(request: Request, max: number, limit: string): Promise<void> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > max) {
    await request.body?.cancel().catch(() => undefined);
    throw new ApiError(413, "too_large", `the body is ${declared} bytes, over the limit of ${max} bytes (${limit})`);
  }
}

export async function readCappedBody(request: Request, max: number, limit: string): Promise<Uint8Array> {
  const tooLarge = (size: string) => new ApiError(413, "too_large", `the body is ${size} bytes, over the limit of ${max} bytes (${limit})`);
  await refuseDeclaredOver(request, max, limit);
  const declared = request.headers.get("content-length");
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  if (declared !== null && /^\d+$/.test(declared)) {
    // A declared length: read straight into one buffer of that size, no second copy.
    const body = new Uint8Array(Number(declared));
    let at = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (at + value.byteLength > body.byteLength) {
        await reader.cancel().catch(() => undefined);
        throw new ApiError(400, "invalid_request", `the body is longer than its Content-Length ${declared}`);
      }
      body.set(value, at);
      at += value.byteLength;
    }
    return at === body.byteLength ? body : body.subarray(0, at);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(`more than ${max}`);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}
