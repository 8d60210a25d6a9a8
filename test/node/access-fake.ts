/**
 * A Cloudflare Access team on 127.0.0.1, for `provider = "cloudflare-access"`: its signing keys at
 * `/cdn-cgi/access/certs` (a JWKS; RS256, as Cloudflare's "Validate JWTs" page shows) and a person's
 * identity at `/cdn-cgi/access/get-identity` (read with the `CF_Authorization` cookie; groups as the
 * identity provider behind Access passed them, objects with id, name and email). Tests ask it to sign
 * application tokens (`POST /_fake/mint`) with the team's key, or with a key it does not publish.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, createLocalJWKSet, type JWK, type JWTPayload } from "jose";

/** The Access application's Application Audience (AUD) tag. */
export const ACCESS_AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";
export const ACCESS_ORG = "ops";

interface Identity {
  name: string;
  groups?: { id: string; name: string; email: string }[];
}

/** The team's people, as get-identity gives them: a member of ops, a person of another group, one without groups. */
const DIRECTORY: Record<string, Identity> = {
  "alice@acme.test": { name: "Alice", groups: [{ id: "00g1", name: ACCESS_ORG, email: "ops@acme.test" }, { id: "00g2", name: "everyone", email: "all@acme.test" }] },
  "bob@acme.test": { name: "Bob", groups: [{ id: "00g3", name: "marketing", email: "marketing@acme.test" }] },
  "carol@acme.test": { name: "Carol" },
};

export interface AccessFake {
  origin: string;
  aud: string;
  stop(): Promise<void>;
}

export interface MintRequest {
  claims: JWTPayload;
  /** `team` (published at /certs) or `rogue` (not published: a bad signature). */
  key?: "team" | "rogue";
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  issuer?: string;
  audience?: string | string[];
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startAccessFake(port = 0): Promise<AccessFake> {
  const team = await generateKeyPair("RS256", { extractable: true });
  const rogue = await generateKeyPair("RS256", { extractable: true });
  const teamJwk: JWK = { ...(await exportJWK(team.publicKey)), kid: "9338abe1baf2fe492f646a736f25afbf7b025e35c627be4f60c414d4c73069b8", alg: "RS256", use: "sig" };
  const rogueKid = teamJwk.kid!; // the same kid: only the signature tells them apart
  const jwks = { keys: [teamJwk] };
  const local = createLocalJWKSet(jwks);
  let origin = "";

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", origin);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method === "GET" && url.pathname === "/cdn-cgi/access/certs") return send(200, jwks);
      if (req.method === "GET" && url.pathname === "/cdn-cgi/access/get-identity") {
        const cookie = /(?:^|;\s*)CF_Authorization=([^;]+)/.exec(String(req.headers.cookie ?? ""))?.[1];
        if (!cookie) return send(400, { err: "no CF_Authorization cookie" });
        let payload: JWTPayload;
        try {
          ({ payload } = await jwtVerify(cookie, local, { issuer: origin }));
        } catch {
          return send(400, { err: "invalid token" });
        }
        const email = String(payload.email ?? "");
        const person = DIRECTORY[email];
        if (!person) return send(400, { err: "no identity" });
        return send(200, {
          id: payload.sub,
          name: person.name,
          email,
          ...(person.groups ? { groups: person.groups } : {}),
          amr: ["pwd"],
          idp: { id: "b1a3b2c8-0000-4000-8000-000000000001", type: "okta" },
          geo: { country: "US" },
          user_uuid: payload.sub,
          account_id: "7c5dae5552338874e5053f2534d2767a",
          iat: payload.iat,
          ip: "127.0.0.1",
          is_warp: false,
          is_gateway: false,
          device_sessions: {},
        });
      }
      if (req.method === "POST" && url.pathname === "/_fake/mint") {
        const ask = JSON.parse(await bodyOf(req)) as MintRequest;
        const now = Math.floor(Date.now() / 1000);
        const key = ask.key === "rogue" ? rogue.privateKey : team.privateKey;
        const token = await new SignJWT({ type: "app", ...ask.claims })
          .setProtectedHeader({ alg: "RS256", kid: ask.key === "rogue" ? rogueKid : teamJwk.kid!, typ: "JWT" })
          .setIssuer(ask.issuer ?? origin)
          .setAudience(ask.audience ?? [ACCESS_AUD])
          .setIssuedAt(ask.expiresIn !== undefined && ask.expiresIn < 0 ? now + ask.expiresIn - 60 : now)
          .setNotBefore(ask.expiresIn !== undefined && ask.expiresIn < 0 ? now + ask.expiresIn - 60 : now)
          .setExpirationTime(now + (ask.expiresIn ?? 3600))
          .sign(key);
        return send(200, { token });
      }
      send(404, { err: "not found" });
    } catch (err) {
      send(500, { err: err instanceof Error ? err.message : String(err) });
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : port}`;
  return { origin, aud: ACCESS_AUD, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
