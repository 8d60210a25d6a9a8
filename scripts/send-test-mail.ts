/**
 * Sends a mail to a Cockpit running under `npm start`, through wrangler dev's local Email Routing
 * endpoint, and prints what the Worker decided (accepted, or rejected with the reason).
 *
 *   npm run send-test-mail -- [--from ops@example.com] [--to repo+demo@cockpit.example.com]
 *                             [--file docs/examples/test-mail.eml] [--port 5000]
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    from: { type: "string", default: "ops@example.com" },
    to: { type: "string", default: "repo+demo@cockpit.example.com" },
    file: { type: "string", default: "docs/examples/test-mail.eml" },
    port: { type: "string", default: "5000" },
  },
});
const url = new URL(`http://127.0.0.1:${values.port}/cdn-cgi/local/email`);
url.searchParams.set("from", values.from);
url.searchParams.set("to", values.to);
url.searchParams.set("format", "json");
const res = await fetch(url, { method: "POST", body: await readFile(values.file) }).catch((err: Error) => {
  console.error(`cannot reach Cockpit on port ${values.port} (is \`npm start\` running?): ${err.message}`);
  process.exit(1);
});
const result = (await res.json()) as { outcome: string; rejectReason?: string };
console.log(result.rejectReason ? `rejected: ${result.rejectReason}` : `accepted (${result.outcome})`);
process.exitCode = result.rejectReason || res.status !== 200 ? 1 : 0;
