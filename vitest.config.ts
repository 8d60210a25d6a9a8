import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { configToBindings, parseConfigToml } from "./src/config/index.ts";

// The Worker under test gets the seed's configuration (ItsYou.online's dialect, a test fixture),
// mapped exactly as `cockpit start` maps it: one JSON var plus the secrets as their own bindings.
// Only `jwt_key` and `[jobs] handler_wall_ms` differ: tests mint their own ES384 tokens, with a key
// pair generated here for this run and never written anywhere.
const testKeys = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
const exampleFile = "test/fixtures/cockpit.seed.toml";
const exampleConfig = parseConfigToml(readFileSync(exampleFile, "utf8"), exampleFile);
exampleConfig.oauth.jwt_key = testKeys.publicKey.export({ type: "spki", format: "pem" }).toString();
// The wall time of one ServiceActor alarm handler, Cloudflare's 15 minutes made 3 s and enforced
// (test/api/run-long-job.test.ts): every worker test runs with it, so no job may depend on one invocation.
exampleConfig.jobs.handler_wall_ms = 3000;
// `[auth]` is what `cockpit start` generates when a config has none: a random secret and an Ed25519 key.
exampleConfig.auth = {
  secret: randomBytes(32).toString("base64url"),
  signing_key: generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  state_minutes: 10,
  recheck_minutes: 60,
  link_days: 30,
};
// `[secrets]` as after a key rotation: a current key, and the previous one that still opens older values.
exampleConfig.secrets = { key: randomBytes(32).toString("base64url"), previous_keys: randomBytes(32).toString("base64url") };
const bindings = configToBindings(exampleConfig);

// The `worker-oidc` project: the example configuration with `provider = "oidc"`, its issuer a real
// OpenID provider that test/node/oidc-setup.ts starts on 127.0.0.1 at a port picked here.
// This file may be evaluated more than once in a run: the first evaluation's port and secret stand.
process.env.COCKPIT_TEST_OIDC_PORT ??= String(
  await new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  }),
);
process.env.COCKPIT_TEST_OIDC_SECRET ??= randomBytes(24).toString("base64url");
const oidcPort = Number(process.env.COCKPIT_TEST_OIDC_PORT);
const oidcFile = "config/cockpit.example.toml";
const oidcConfig = parseConfigToml(readFileSync(oidcFile, "utf8"), oidcFile);
oidcConfig.oauth.provider = "oidc";
oidcConfig.oauth.issuer = `http://127.0.0.1:${oidcPort}`;
oidcConfig.oauth.client_secret = process.env.COCKPIT_TEST_OIDC_SECRET;
delete oidcConfig.oauth.local;
oidcConfig.auth = exampleConfig.auth;
oidcConfig.secrets = exampleConfig.secrets;
const oidcBindings = configToBindings(oidcConfig);
const testOnlyBindings = { TEST_JWT_PRIVATE_KEY: testKeys.privateKey.export({ type: "pkcs8", format: "pem" }).toString() };

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ...bindings.vars, ...bindings.secrets, ...testOnlyBindings } },
          }),
        ],
        test: {
          name: "worker",
          include: ["test/**/*.test.ts"],
          exclude: ["test/cli/**", "test/e2e/**", "test/runs/**", "test/oidc/**"],
          // GitHub and a Cloudflare Access team on 127.0.0.1, for the provider tests (test/auth/).
          globalSetup: ["test/node/identity-fakes-setup.ts"],
          // vitest empties imported CSS unless told: /apidocs serves swagger-ui's stylesheet as text.
          css: { include: [/swagger-ui\.css/] },
          testTimeout: 30_000,
        },
      },
      {
        // Signing in and API tokens against a standard OpenID provider (provider = "oidc").
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ...oidcBindings.vars, ...oidcBindings.secrets } },
          }),
        ],
        test: { name: "worker-oidc", include: ["test/oidc/**/*.test.ts"], globalSetup: ["test/node/oidc-setup.ts"], testTimeout: 30_000 },
      },
      {
        test: { name: "node", environment: "node", include: ["test/cli/**/*.test.ts", "test/runs/**/*.test.ts"], testTimeout: 30_000 },
      },
      {
        // The console in Debian's chromium against `wrangler dev` (started once, in globalSetup).
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/e2e/support/setup.ts"],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
