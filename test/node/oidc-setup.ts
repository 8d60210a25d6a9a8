/**
 * Global setup of the `worker-oidc` project: the standard OpenID provider (test/node/openid-provider.ts)
 * in this Node process, on the port vitest.config.ts put in the Worker's `[oauth] issuer`. The tests
 * in workerd reach it over HTTP on 127.0.0.1 and read its signing keys with `inject("oidc")`, to mint
 * API tokens of the same issuer.
 */
import type { JWK } from "jose";
import type { TestProject } from "vitest/node";
import { startTestProvider } from "./openid-provider.ts";

export interface OidcContext {
  issuer: string;
  clientSecret: string;
  outsiderSecret: string;
  /** The provider's private signing keys (RS256, ES256, PS256), made for this run. */
  keys: JWK[];
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
  project.provide("oidc", { issuer: provider.issuer, clientSecret: provider.clientSecret, outsiderSecret: provider.outsiderSecret, keys: provider.keys });
  return () => provider.stop();
}
