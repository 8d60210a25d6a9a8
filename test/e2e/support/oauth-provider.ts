/**
 * A fake OAuth2 identity provider on 127.0.0.1 for the browser tests and the screenshots: a real HTTP
 * server the cockpit's `[oauth] authorize_url` and `token_url` point to. The authorize page asks who
 * you are, like ItsYou.online's consent page; the token endpoint answers like ItsYou.online
 * (`{access_token, scope, info: {username}}`). Codes work once.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeProvider {
  base: string;
  authorizeUrl: string;
  tokenUrl: string;
  clientSecret: string;
  /** Codes exchanged so far, by user. */
  exchanged: string[];
  stop(): Promise<void>;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

async function form(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

export async function startFakeProvider(organization = "MyID", clientSecret = "e2e-client-secret"): Promise<FakeProvider> {
  const grants = new Map<string, { username: string; member: boolean }>();
  const exchanged: string[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "GET" && url.pathname === "/authorize") {
      const redirect = url.searchParams.get("redirect_uri");
      const state = url.searchParams.get("state");
      if (url.searchParams.get("response_type") !== "code" || !redirect || !state) {
        res.writeHead(400, { "content-type": "text/plain" }).end("bad authorize request");
        return;
      }
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Fake identity provider</title></head>
<body><main><h1>Fake identity provider</h1>
<p>${escape(url.searchParams.get("client_id") ?? "")} asks for: ${escape(url.searchParams.get("scope") ?? "")}</p>
<form method="post" action="/authorize">
<input type="hidden" name="redirect_uri" value="${escape(redirect)}"><input type="hidden" name="state" value="${escape(state)}">
<p><label for="username">User name</label> <input id="username" name="username" required></p>
<p><input id="member" name="member" type="checkbox" checked> <label for="member">member of ${escape(organization)}</label></p>
<p><button name="decision" value="allow">Authorize</button> <button name="decision" value="deny">Deny</button></p>
</form></main></body></html>`);
      return;
    }
    if (req.method === "POST" && url.pathname === "/authorize") {
      const body = await form(req);
      const back = new URL(body.get("redirect_uri")!);
      back.searchParams.set("state", body.get("state") ?? "");
      if (body.get("decision") === "deny") back.searchParams.set("error", "access_denied");
      else {
        const code = randomUUID();
        grants.set(code, { username: body.get("username") ?? "", member: body.get("member") === "on" });
        back.searchParams.set("code", code);
      }
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (req.method === "POST" && url.pathname === "/token") {
      const body = await form(req);
      const grant = grants.get(body.get("code") ?? "");
      if (!grant || body.get("client_secret") !== clientSecret) {
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: "invalid_grant", error_description: "unknown or used code" }));
        return;
      }
      grants.delete(body.get("code")!);
      exchanged.push(grant.username);
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          access_token: randomUUID(),
          token_type: "bearer",
          scope: grant.member ? `user:memberof:${organization}` : "user:name",
          expires_in: 86400,
          info: { username: grant.username },
        }),
      );
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found");
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    authorizeUrl: `${base}/authorize`,
    tokenUrl: `${base}/token`,
    clientSecret,
    exchanged,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
