/**
 * The headers of every page the Worker serves (the console, /apidocs, the sign-in pages): scripts and
 * styles only from the Worker itself, no inline code, no framing. A console that drives production
 * systems must not run anything it did not serve.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
};

/** Sets SECURITY_HEADERS on a response (a page's or a streamed one's headers, before it is sent). */
export function secure(headers: Headers): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers.set(name, value);
}

/** Sets SECURITY_HEADERS on the answer a handler is about to make (`c.header`). */
export function securePage(c: { header(name: string, value: string): void }): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
}
