// Bindings that exist only under vitest (see vitest.config.ts).
declare namespace Cloudflare {
  interface Env {
    TEST_JWT_PRIVATE_KEY: string;
  }
}
