import { vi } from "vitest";

/** The example config's provider: ItsYou.online's token endpoint (no network: answered below). */
export const TOKEN_URL = "https://itsyou.online/v1/oauth/access_token";

export interface FakeGrant {
  username: string;
  /** Grant `user:memberof:<org>` (default true). */
  member?: boolean;
  /** Answer with this access token instead of an opaque one (e.g. a JWT from mintToken()). */
  accessToken?: string;
  /** Leave `scope` out of the answer, so membership must come from the access token. */
  omitScope?: boolean;
}

/**
 * A fake identity provider: `grant()` hands out a code, and the Worker's POST to the token endpoint
 * is answered like ItsYou.online would (`{access_token, scope, info: {username}}`). The Worker, its
 * Durable Objects and the test share one isolate, so spying on fetch catches the Worker's calls;
 * every other request goes through untouched.
 */
export function fakeOAuthProvider(organization = "MyID") {
  const grants = new Map<string, FakeGrant>();
  const exchanges: URLSearchParams[] = [];
  const realFetch = globalThis.fetch;
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (request.url !== TOKEN_URL) return realFetch(input, init);
    const form = new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer()));
    exchanges.push(form);
    const grant = grants.get(form.get("code") ?? "");
    if (!grant || form.get("client_secret") === null) {
      return Response.json({ error: "invalid_grant", error_description: "unknown or used code" }, { status: 400 });
    }
    grants.delete(form.get("code")!);
    const scope = grant.member === false ? "user:name" : `user:memberof:${organization}`;
    return Response.json({
      access_token: grant.accessToken ?? crypto.randomUUID(),
      token_type: "bearer",
      ...(grant.omitScope ? {} : { scope }),
      expires_in: 86400,
      info: { username: grant.username },
    });
  });
  return {
    /** A one-time code the provider will exchange for `grant`. */
    grant(grant: FakeGrant): string {
      const code = crypto.randomUUID();
      grants.set(code, grant);
      return code;
    },
    /** Every form the Worker posted to the token endpoint. */
    exchanges,
    restore: () => spy.mockRestore(),
  };
}
