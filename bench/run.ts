/**
 * `npm run bench [-- SECTION ...]`: runs the benchmark sections and prints one report.
 * Speed and memory goals live here, not in timed tests. Each section returns its own figures.
 */
import { benchApi } from "./api.ts";
import { benchEvents } from "./events.ts";
import { benchPlan } from "./plan.ts";
import { benchRepos } from "./repos.ts";
import { benchStorage } from "./storage.ts";
import { benchTelegram } from "./telegram.ts";

type Section = { name: string; about: string; run: () => Promise<Record<string, unknown>> };

const SECTIONS: Section[] = [
  { name: "plan", about: "offline planner: 10,000 services in a layered DAG", run: benchPlan },
  { name: "api", about: "REST API and runs against wrangler dev on this machine", run: benchApi },
  { name: "repos", about: "one repository against ten: API load and runs, as ratios", run: benchRepos },
  { name: "events", about: "bursts of events from each ingress to job start, against wrangler dev", run: benchEvents },
  { name: "storage", about: "a day of one-minute recurring jobs on 100 services, before and after the retention sweep", run: benchStorage },
  { name: "telegram", about: "a burst of bot updates into the webhook, to each chat's reply at a fake Bot API", run: benchTelegram },
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !SECTIONS.some((s) => s.name === w));
if (unknown.length) {
  console.error(`unknown section(s): ${unknown.join(", ")}; known: ${SECTIONS.map((s) => s.name).join(", ")}`);
  process.exit(2);
}

console.log(`cockpit bench — node ${process.version}, ${new Date().toISOString()}`);
for (const section of SECTIONS.filter((s) => !wanted.length || wanted.includes(s.name))) {
  console.log(`\n## ${section.name}: ${section.about}`);
  const figures = await section.run();
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  for (const [key, value] of Object.entries(figures)) console.log(`  ${key.padEnd(width)}  ${String(value)}`);
}
