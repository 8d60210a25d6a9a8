/**
 * Content-Transfer-Encoding decoded from a part's raw bytes, giving the bytes the sender encoded:
 * base64 (as postal-mime decodes it: characters outside the alphabet skipped, `=` ending a unit),
 * quoted-printable (RFC 2045 6.7: `=XX` is a byte, `=` at the end of a line a soft break, trailing
 * spaces of a line transport padding; every other line break kept as it is in the message, CRLF or
 * LF), and 7bit, 8bit, binary or anything else as they are.
 */

const BASE64 = new Int16Array(256).fill(-1);
for (const [i, c] of [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].entries()) BASE64[c.charCodeAt(0)] = i;

export function decodeBase64(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.floor((input.length * 3) / 4) + 3);
  let n = 0;
  let quad = 0;
  let count = 0;
  const flush = () => {
    // A unit of 2 or 3 characters holds 1 or 2 bytes; a lone character holds none.
    if (count >= 2) out[n++] = (quad >> (count === 2 ? 4 : 10)) & 0xff;
    if (count === 3) out[n++] = (quad >> 2) & 0xff;
    quad = count = 0;
  };
  for (const byte of input) {
    if (byte === 0x3d) {
      flush();
      continue;
    }
    const v = BASE64[byte]!;
    if (v < 0) continue;
    quad = (quad << 6) | v;
    if (++count === 4) {
      out[n++] = (quad >> 16) & 0xff;
      out[n++] = (quad >> 8) & 0xff;
      out[n++] = quad & 0xff;
      quad = count = 0;
    }
  }
  flush();
  return out.subarray(0, n);
}

const hex = (c: number): number => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1);

export function decodeQuotedPrintable(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length);
  let n = 0;
  let i = 0;
  while (i < input.length) {
    // One line: its text, then its line break (CRLF, LF, or none at the end).
    let end = i;
    while (end < input.length && input[end] !== 0x0a) end++;
    let breakStart = end;
    if (end < input.length && end > i && input[end - 1] === 0x0d) breakStart = end - 1;
    let textEnd = breakStart;
    while (textEnd > i && (input[textEnd - 1] === 0x20 || input[textEnd - 1] === 0x09)) textEnd--;
    // A line ending in `=` goes on in the next one: neither the `=` nor the break is content.
    const soft = textEnd > i && input[textEnd - 1] === 0x3d;
    const last = soft ? textEnd - 1 : textEnd;
    for (let j = i; j < last; j++) {
      const c = input[j]!;
      const high = c === 0x3d && j + 2 < last ? hex(input[j + 1]!) : -1;
      const low = high >= 0 ? hex(input[j + 2]!) : -1;
      if (low >= 0) {
        out[n++] = (high << 4) | low;
        j += 2;
      } else out[n++] = c; // not an escape: kept as it is
    }
    if (!soft && end < input.length) for (let j = breakStart; j <= end; j++) out[n++] = input[j]!;
    i = end + 1;
  }
  return out.subarray(0, n);
}

/** The part's content: its raw body with its Content-Transfer-Encoding (a first token, lower-cased) undone. */
export function decodeTransfer(body: Uint8Array, encoding: string): Uint8Array {
  if (encoding.includes("base64")) return decodeBase64(body);
  if (encoding.includes("quoted-printable")) return decodeQuotedPrintable(body);
  return body;
}
