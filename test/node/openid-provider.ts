/**
 * The standard OpenID provider the tests sign in against: `oidc-provider` on 127.0.0.1, configured
 * plainly (src/cli/local-provider.ts): scopes granted to anyone who signs in, membership only in a
 * `groups` claim, PKCE required, RS256, ES256 and PS256 keys made here for this run. `alice` is a
 * member of MyID, `mallory` is not; `bob` and `carol` are members whom the re-check tests remove
 * from the organization (setGroups), `dave` one whose entry the provider can be made to fail to read
 * (troubledUsers: its token endpoint answers 500), and `erin` a member no test changes; the client `outsider` gets client-credentials tokens without
 * the organization.
 */
import { randomBytes } from "node:crypto";
import { importJWK, SignJWT, type JWK, type JWTPayload } from "jose";
import { newSigningKey, startLocalProvider, type LocalProvider } from "../../src/cli/local-provider.ts";

export const ORGANIZATION = "MyID";

export interface TestProvider extends LocalProvider {
  clientId: string;
  clientSecret: string;
  outsiderSecret: string;
  /** Signs claims as the provider does (its issuer and key of `alg`), for API tokens of the tests. */
  mint(claims: JWTPayload, alg?: "RS256" | "ES256" | "PS256", exp?: number | string): Promise<string>;
}

/** Users whose directory entry cannot be read right now: the provider answers 500 server_error for them. */
export const troubledUsers = new Set<string>();

/** A member whose groups the provider cannot read while `troubledUsers` holds them (its own failure, not a refusal). */
function troubled(name: string, groups: string[]) {
  return {
    name,
    get groups(): string[] {
      if (troubledUsers.has(name)) throw new Error(`the directory entry of ${name} cannot be read`);
      return groups;
    },
  };
}

export async function startTestProvider(options: { port?: number; clientSecret?: string; redirectUris: string[]; idTokenAlg: "RS256" | "ES256" | "PS256" }): Promise<TestProvider> {
  const keys = [await newSigningKey("RS256"), await newSigningKey("ES256"), await newSigningKey("PS256")];
  const clientSecret = options.clientSecret ?? randomBytes(24).toString("base64url");
  const outsiderSecret = randomBytes(24).toString("base64url");
  const provider = await startLocalProvider({
    port: options.port ?? 0,
    users: [
      { name: "alice", groups: [ORGANIZATION, "ops"] },
      { name: "mallory", groups: ["other"] },
      { name: "bob", groups: [ORGANIZATION] },
      { name: "carol", groups: [ORGANIZATION] },
      troubled("dave", [ORGANIZATION]),
      { name: "erin", groups: [ORGANIZATION] },
    ],
    clients: [
      { client_id: ORGANIZATION, client_secret: clientSecret, redirect_uris: options.redirectUris, id_token_signed_response_alg: options.idTokenAlg, groups: [ORGANIZATION] },
      { client_id: "outsider", client_secret: outsiderSecret, redirect_uris: options.redirectUris, groups: [] },
    ],
    audience: ORGANIZATION,
    keys,
    accessTokenAlg: "ES256",
  });
  return {
    ...provider,
    clientId: ORGANIZATION,
    clientSecret,
    outsiderSecret,
    async mint(claims, alg = "ES256", exp = "1h") {
      const jwk = keys.find((k) => k.alg === alg)!;
      return new SignJWT(claims)
        .setProtectedHeader({ alg, kid: jwk.kid!, typ: "at+jwt" })
        .setIssuer(provider.issuer)
        .setAudience(ORGANIZATION)
        .setIssuedAt()
        .setExpirationTime(exp)
        .sign(await importJWK(jwk as JWK, alg));
    },
  };
}
