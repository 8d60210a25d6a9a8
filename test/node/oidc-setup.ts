/**
 * Global setup of the `worker-oidc` project: the standard OpenID provider (test/node/openid-provider.ts)
 * in this Node process, on the port vitest.config.ts put in the Worker's `[oauth] issuer`. The tests
 * in workerd reach it over HTTP on 127.0.0.1 and read its signing keys with `inject("oidc")`, to mint
 * API tokens of the same issuer.
 *
 * A small admin server on 127.0.0.1 beside it lets a test change a user's groups while the run
 * lasts (`PUT /users/{name}/groups` with a JSON list): a member removed from the organization, as
 * the provider's own admin would; `PUT /users/{name}/trouble` with `true` or `false` makes the
 * provider fail (500 server_error) whenever it reads that user, as a provider whose directory is down.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { JWK } from "jose";
import type { TestProject } from "vitest/node";
import { startTestProvider, troubledUsers } from "./openid-provider.ts";

export interface OidcContext {
  issuer: string;
  clientSecret: string;
  outsiderSecret: string;
  /** The provider's private signing keys (RS256, ES256, PS256), made for this run. */
  keys: JWK[];
  /** The admin server: `PUT {admin}/users/{name}/groups` sets that user's groups. */
  admin: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    oidc: OidcContext;
  }
}

export default async function setup(project: TestProject) {
  const port = Number(process.env.COCKPIT_TEST_OIDC_PORT);
  // The Worker's client secret was fixed when its bindings were made: the provider gets the same one.
  const clientSecret = process.env.COCKPIT_TEST_OIDC_SECRET!;
  // ID tokens are PS256: the algorithm the original's verification refused.
  const provider = await startTestProvider({ port, clientSecret, redirectUris: ["http://cockpit.test/oauth/callback"], idTokenAlg: "PS256" });
  const admin = createServer((req, res) => {
    const [, name, what] = /^\/users\/([^/]+)\/(groups|trouble)$/.exec(req.url ?? "") ?? [];
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let groups: unknown;
      try {
        groups = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        groups = undefined;
      }
      if (req.method === "PUT" && name && what === "trouble" && typeof groups === "boolean") {
        if (groups) troubledUsers.add(decodeURIComponent(name));
        else troubledUsers.delete(decodeURIComponent(name));
        return void res.writeHead(204).end();
      }
      const valid = req.method === "PUT" && name && what === "groups" && Array.isArray(groups) && groups.every((g) => typeof g === "string");
      const status = !valid ? 400 : provider.setGroups(decodeURIComponent(name), groups as string[]) ? 204 : 404;
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => admin.listen(0, "127.0.0.1", resolve));
  const adminUrl = `http://127.0.0.1:${(admin.address() as AddressInfo).port}`;
  project.provide("oidc", { issuer: provider.issuer, clientSecret: provider.clientSecret, outsiderSecret: provider.outsiderSecret, keys: provider.keys, admin: adminUrl });
  return async () => {
    await new Promise<void>((resolve) => admin.close(() => resolve()));
    await provider.stop();
  };
}
