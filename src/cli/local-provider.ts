/**
 * A real OpenID Connect provider (the `oidc-provider` package) on 127.0.0.1, run in the CLI's Node
 * process: `cockpit start` runs it for `[oauth] provider = "local"` and points the Worker's `oidc`
 * code at it, and the tests run it as the plain standard provider they sign in against.
 *
 * Configured plainly, as a standard provider is: scopes are granted to whoever signs in (no consent
 * screen), membership is only a `groups` claim, PKCE is required of every client, ID tokens are
 * signed with the key the client asks for, and access tokens for the API resource are JWTs. Signing
 * in takes a user name and no password: it is for local use and tests only.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { calculateJwkThumbprint, type JWK } from "jose";
import Provider, { errors as oidcErrors, interactionPolicy, type AsymmetricSigningAlgorithm } from "oidc-provider";

export interface LocalUser {
  name: string;
  groups: string[];
  email?: string;
}

export interface LocalClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  /** The ID token's algorithm (default RS256). */
  id_token_signed_response_alg?: string;
  /** Where the provider may send the browser back after signing out (RP-Initiated Logout). */
  post_logout_redirect_uris?: string[];
  /** The `groups` claim of the client's own (client-credentials) tokens. */
  groups?: string[];
}

export interface LocalProviderOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  users: LocalUser[];
  clients: LocalClient[];
  /** The `aud` of JWT access tokens for the API resource (RESOURCE). */
  audience: string;
  /** Private JWKs to sign with (each with `kid` and `alg`); default: one new RSA key (RS256). */
  keys?: JWK[];
  /** Algorithm of JWT access tokens (default: RS256). */
  accessTokenAlg?: string;
  /** Shown on the sign-in page: e.g. that this is the local provider of `npm start`, and its users. */
  title?: string;
  /** List the users and whether each is a member of this organization on the sign-in page. */
  showUsersOf?: string;
}

export interface LocalProvider {
  issuer: string;
  /** The private JWKs it signs with. */
  keys: JWK[];
  /**
   * Changes a user's groups: the next token, refresh and userinfo answer say so (a person removed
   * from the organization, as the re-check tests need). @returns false for an unknown user
   */
  setGroups(name: string, groups: string[]): boolean;
  stop(): Promise<void>;
}

/** The resource indicator of the cockpit's API: `resource=` of a token request for a JWT access token. */
export const API_RESOURCE = "urn:cockpit:api";

/** A new private signing key as a JWK with `kid`, `alg` and `use`. */
export async function newSigningKey(alg: "RS256" | "PS256" | "ES256" | "ES384" | "EdDSA"): Promise<JWK> {
  const pair =
    alg === "ES256" ? generateKeyPairSync("ec", { namedCurve: "P-256" })
    : alg === "ES384" ? generateKeyPairSync("ec", { namedCurve: "P-384" })
    : alg === "EdDSA" ? generateKeyPairSync("ed25519")
    : generateKeyPairSync("rsa", { modulusLength: 2048 });
  return withKid(pair.privateKey.export({ format: "jwk" }) as JWK, alg);
}

/** A PKCS#8 PEM private key as a signing JWK (the kid is its thumbprint, so it is the same every time). */
export async function pemSigningKey(pem: string, alg: string): Promise<JWK> {
  return withKid(createPrivateKey(pem).export({ format: "jwk" }) as JWK, alg);
}

async function withKid(jwk: JWK, alg: string): Promise<JWK> {
  return { ...jwk, alg, use: "sig", kid: await calculateJwkThumbprint(jwk) };
}

/** Everything the provider keeps, in memory: it forgets all on restart, which a local provider may. */
class MemoryStore {
  static readonly items = new Map<string, { payload: Record<string, unknown>; until: number }>();
  readonly model: string;
  constructor(model: string) {
    this.model = model;
  }
  private key(id: string) {
    return `${this.model}:${id}`;
  }
  async upsert(id: string, payload: Record<string, unknown>, expiresIn: number) {
    MemoryStore.items.set(this.key(id), { payload, until: Date.now() + expiresIn * 1000 });
  }
  async find(id: string) {
    const item = MemoryStore.items.get(this.key(id));
    if (!item) return undefined;
    if (item.until < Date.now()) return void MemoryStore.items.delete(this.key(id));
    return item.payload as never;
  }
  async findByUid(uid: string) {
    for (const [key, item] of MemoryStore.items) if (key.startsWith(`${this.model}:`) && item.payload.uid === uid) return this.find(key.slice(this.model.length + 1));
    return undefined;
  }
  async findByUserCode(userCode: string) {
    for (const [key, item] of MemoryStore.items) if (key.startsWith(`${this.model}:`) && item.payload.userCode === userCode) return this.find(key.slice(this.model.length + 1));
    return undefined;
  }
  async consume(id: string) {
    const item = MemoryStore.items.get(this.key(id));
    if (item) item.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string) {
    MemoryStore.items.delete(this.key(id));
  }
  async revokeByGrantId(grantId: string) {
    for (const [key, item] of MemoryStore.items) if (item.payload.grantId === grantId) MemoryStore.items.delete(key);
  }
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

async function formOf(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error("form too large");
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/**
 * Every sign-in asks who you are, even with a session at the provider: signing out of Cockpit and
 * in again is how a person switches between the local users (Cockpit does not end the provider's
 * session yet), and how the tests see the sign-in page again.
 */
function askEveryTime() {
  const policy = interactionPolicy.base();
  const { Check } = interactionPolicy;
  policy.get("login")!.checks.add(new Check("ask_every_time", "the local provider asks who you are at every sign-in", (ctx) => (ctx.oidc.result?.login ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT)));
  return policy;
}

export async function startLocalProvider(options: LocalProviderOptions): Promise<LocalProvider> {
  const host = options.host ?? "127.0.0.1";
  const users = new Map(options.users.map((u) => [u.name, u]));
  const clientGroups = new Map(options.clients.map((c) => [c.client_id, c.groups]));
  const keys = options.keys ?? [await newSigningKey("RS256")];

  // The port must be known before the Provider is made: its issuer is its address.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  });
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      post_logout_redirect_uris: c.post_logout_redirect_uris ?? c.redirect_uris.map((u) => u.replace(/\/oauth\/callback$/, "/console/signed-out")),
      grant_types: ["authorization_code", "refresh_token", "client_credentials"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: (c.id_token_signed_response_alg ?? "RS256") as AsymmetricSigningAlgorithm,
    })),
    jwks: { keys: keys as never },
    adapter: MemoryStore,
    ttl: { AccessToken: 3600, AuthorizationCode: 60, ClientCredentials: 3600, IdToken: 3600, Interaction: 600, Grant: 14 * 86400, Session: 14 * 86400 },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    claims: { openid: ["sub"], profile: ["preferred_username", "name"], email: ["email", "email_verified"], groups: ["groups"] },
    scopes: ["openid", "profile", "email", "groups", "offline_access"],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      // Cockpit's signed-out page links here (RP-Initiated Logout); plain pages, nothing fetched from elsewhere.
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page(
            "Sign out",
            `${form}<p>Sign out at this provider (${escape(ctx.host)}) too?</p>
<p><button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button> <button type="submit" form="op.logoutForm">No, stay signed in</button></p>`,
          );
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page("Signed out", "<p>You are signed out at the provider.</p>");
        },
      },
      resourceIndicators: {
        enabled: true,
        // Sign-ins get an opaque token for userinfo; a token request naming the API gets a JWT for it.
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx, resource) => {
          if (resource !== API_RESOURCE) throw new oidcErrors.InvalidTarget();
          return { scope: "api", audience: options.audience, accessTokenFormat: "jwt", accessTokenTTL: 3600, jwt: { sign: { alg: (options.accessTokenAlg ?? "RS256") as AsymmetricSigningAlgorithm } } };
        },
      },
    },
    enabledJWA: {
      idTokenSigningAlgValues: ["RS256", "PS256", "ES256", "ES384", "EdDSA"],
    },
    // Scopes are granted to whoever signs in, as a standard provider's first-party client has them.
    loadExistingGrant: async (ctx) => {
      const clientId = ctx.oidc.client!.clientId;
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(clientId);
      if (grantId) {
        const found = await ctx.oidc.provider.Grant.find(grantId);
        if (found) return found;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId: ctx.oidc.session!.accountId });
      grant.addOIDCScope("openid profile email groups offline_access");
      grant.addResourceScope(API_RESOURCE, "api");
      await grant.save();
      return grant;
    },
    findAccount: async (_ctx, id) => {
      const user = users.get(id);
      if (!user) return undefined;
      return {
        accountId: id,
        claims: async () => ({ sub: id, preferred_username: id, name: id, email: user.email ?? `${id}@cockpit.local`, email_verified: true, groups: user.groups }),
      };
    },
    // Membership in the API's JWT access tokens: a person's groups, or the client's own.
    extraTokenClaims: async (_ctx, token) => {
      const accountId = (token as { accountId?: string }).accountId;
      if (accountId) return { groups: users.get(accountId)?.groups ?? [], preferred_username: accountId };
      const groups = clientGroups.get((token as { clientId?: string }).clientId ?? "");
      return groups ? { groups } : undefined;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: askEveryTime() },
    renderError: async (ctx, out) => {
      ctx.type = "html";
      ctx.body = page("Sign-in error", `<p>${escape(String(out.error))}: ${escape(String(out.error_description ?? ""))}</p>`);
    },
  });
  provider.on("server_error", (_ctx, err) => console.error("local OpenID provider:", err));

  function page(title: string, body: string): string {
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}input{font:inherit}</style></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
  }

  function loginPage(uid: string, client: string, problem?: string): string {
    const list = options.showUsersOf
      ? `<p>Users: ${[...users.values()].map((u) => `<code>${escape(u.name)}</code> (${u.groups.includes(options.showUsersOf!) ? `member of ${escape(options.showUsersOf!)}` : "not a member"})`).join(", ")}.</p>`
      : "";
    return page(
      options.title ?? "Sign in",
      `<p>${escape(client)} asks who you are.</p>${list}
${problem ? `<p role="alert">${escape(problem)}</p>` : ""}
<form method="post" action="/interaction/${escape(uid)}">
<p><label for="login">User name</label> <input id="login" name="login" autocomplete="username" required autofocus></p>
<p><button name="decision" value="sign-in">Sign in</button> <button name="decision" value="cancel" formnovalidate>Cancel</button></p>
</form>`,
    );
  }

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error("interaction mismatch");
    const clientId = String(details.params.client_id);
    if (details.prompt.name !== "login") {
      // Consent is never asked (scopes are granted to anyone): grant what is missing and go on.
      const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session!.accountId, clientId });
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
      if (missing.missingOIDCScope) grant!.addOIDCScope(missing.missingOIDCScope.join(" "));
      if (missing.missingOIDCClaims) grant!.addOIDCClaims(missing.missingOIDCClaims);
      for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant!.addResourceScope(resource, scopes.join(" "));
      await provider.interactionFinished(req, res, { consent: { grantId: await grant!.save() } }, { mergeWithLastSubmission: true });
      return;
    }
    if (req.method === "GET") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(loginPage(uid, clientId));
      return;
    }
    const form = await formOf(req);
    if (form.get("decision") === "cancel") {
      await provider.interactionFinished(req, res, { error: "access_denied", error_description: "the person cancelled the sign-in" }, { mergeWithLastSubmission: false });
      return;
    }
    const login = (form.get("login") ?? "").trim();
    if (!users.has(login)) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(loginPage(uid, clientId, `There is no user ${login} here.`));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }

  const handle = provider.callback();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(new URL(req.url ?? "/", issuer).pathname);
    if (!match) return void handle(req, res);
    interaction(req, res, match[1]!).catch((err: unknown) => {
      if (res.headersSent) return void res.end();
      res.writeHead(400, { "content-type": "text/html; charset=utf-8" }).end(page("Sign-in error", `<p>${escape(err instanceof Error ? err.message : String(err))}: start again from Cockpit.</p>`));
    });
  });

  return {
    issuer,
    keys,
    setGroups(name, groups) {
      const user = users.get(name);
      if (!user) return false;
      users.set(name, { ...user, groups: [...groups] });
      return true;
    },
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
