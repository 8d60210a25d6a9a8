/** Builds ActionRequests for the sandbox tests. */
import { env } from "cloudflare:workers";
import type { ActionRequest, SandboxService } from "../../src/sandbox/index.ts";

/** The test Worker's bindings (the real LOADER and FILES under miniflare). */
export const testEnv: Env = env;

export function service(data: Record<string, unknown> = {}): SandboxService {
  return {
    key: "node!main",
    role: "node",
    name: "main",
    actor: "node.ssh",
    data,
    parent: { key: "datacenter!eu", data: { location: "eu-west" } },
    producers: [{ key: "sshkey!main", role: "sshkey", data: { fingerprint: "ab:cd" } }],
  };
}

let counter = 0;

export async function request(code: string, overrides: Partial<ActionRequest> = {}): Promise<ActionRequest> {
  counter++;
  return {
    jobKey: `run-1.1.${counter}-${crypto.randomUUID().slice(0, 8)}`,
    code,
    action: "install",
    service: service({ port: 22, hostname: "main" }),
    args: {},
    schema: [
      { name: "port", type: "Int64", list: false },
      { name: "hostname", type: "Text", list: false },
      { name: "tags", type: "Text", list: true },
      { name: "enabled", type: "Bool", list: false },
    ],
    egress: [],
    timeoutMs: 5000,
    inputFiles: [],
    ...overrides,
  };
}
