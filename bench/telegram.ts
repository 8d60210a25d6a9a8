/**
 * Benchmark section "telegram": a burst of updates into `POST /telegram/webhook` from many chats, as
 * Telegram delivers them, with a fake Bot API on 127.0.0.1 (`[bot] api_root`) recording the replies.
 * Reports how fast the webhook answers (what Telegram waits for before it sends the next update) and
 * how long until each chat's reply reaches the Bot API, and that every update got exactly one reply.
 */
import { createServer } from "node:http";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SEED_CONFIG, startCockpit } from "../scripts/local-cockpit.ts";
import { ms, quantile } from "./api.ts";

const UPDATES = Number(process.env.BENCH_UPDATES ?? 500);
/** Distinct chats the updates come from: each chat's updates queue in its own actor. */
const CHATS = 50;
const CONCURRENCY = 16;
/** Updates sent one at a time first, each after the previous one's reply. */
const QUIET = 50;
// test/fixtures/cockpit.seed.toml's [bot] webhook_secret.
const SECRET = "local-dev-webhook-secret";

export async function benchTelegram(): Promise<Record<string, unknown>> {
  // The fake Bot API: every method succeeds; sendMessage is timed per chat.
  const replies = new Map<number, number[]>();
  let messageId = 0;
  const api = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const method = req.url?.split("/").pop() ?? "";
      const payload = (body ? JSON.parse(body) : {}) as { chat_id?: number; text?: string };
      let result: unknown = true;
      if (method === "getMe") result = { id: 123456789, is_bot: true, first_name: "Cockpit", username: "cockpit_bench_bot" };
      if (method === "sendMessage") {
        const chat = Number(payload.chat_id);
        replies.set(chat, [...(replies.get(chat) ?? []), Date.now()]);
        result = { message_id: ++messageId, date: Math.floor(Date.now() / 1000), chat: { id: chat, type: "private" }, text: payload.text ?? "" };
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, result }));
    });
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  const address = api.address();
  const apiRoot = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;

  const dir = await mkdtemp(join(tmpdir(), "cockpit-bench-telegram-"));
  const config = join(dir, "cockpit.toml");
  const example = await readFile(SEED_CONFIG, "utf8");
  await writeFile(config, example.replace(`webhook_secret = "${SECRET}"`, `webhook_secret = "${SECRET}"\napi_root = "${apiRoot}"`));
  const cockpit = await startCockpit({ config });
  const count = () => [...replies.values()].reduce((n, r) => n + r.length, 0);
  // /help needs no linked account, so every update gets one reply from the real command handlers.
  const send = async (i: number, chat: number): Promise<{ sent: number; ack: number }> => {
    const update = {
      update_id: 900_000 + i,
      message: { message_id: i + 1, date: Math.floor(Date.now() / 1000), chat: { id: chat, type: "private" }, from: { id: chat, is_bot: false, first_name: "Bench" }, text: "/help" },
    };
    const sent = Date.now();
    const res = await fetch(`${cockpit.base}/telegram/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      body: JSON.stringify(update),
    });
    if (!res.ok) throw new Error(`webhook: ${res.status} ${await res.text()}`);
    return { sent, ack: Date.now() - sent };
  };
  try {
    // One update at a time, each waiting for its reply: the latency of a quiet cockpit.
    const quietAcks: number[] = [];
    const quietReplies: number[] = [];
    for (let i = 0; i < QUIET; i++) {
      const chat = 600_000 + i;
      const { sent, ack } = await send(i, chat);
      quietAcks.push(ack);
      const deadline = Date.now() + 10_000;
      while (!replies.has(chat) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      const at = replies.get(chat)?.[0];
      if (at === undefined) throw new Error(`no reply to update ${i} within 10 s`);
      quietReplies.push(at - sent);
    }
    quietAcks.sort((a, b) => a - b);
    quietReplies.sort((a, b) => a - b);
    replies.clear();

    // The burst: many chats at once, CONCURRENCY requests in flight.
    const sentAt = new Map<number, number[]>();
    const acks: number[] = [];
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < UPDATES) {
          const i = next++;
          const chat = 700_000 + (i % CHATS);
          const { sent, ack } = await send(QUIET + i, chat);
          acks.push(ack);
          sentAt.set(chat, [...(sentAt.get(chat) ?? []), sent]);
        }
      }),
    );
    const accepted = Date.now();
    const deadline = Date.now() + 300_000;
    while (count() < UPDATES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const lastReply = Math.max(...[...replies.values()].flat());

    // Within a chat, updates are answered in order: the n-th reply answers the n-th update.
    const latencies: number[] = [];
    for (const [chat, sends] of sentAt) {
      const got = replies.get(chat) ?? [];
      sends.sort((a, b) => a - b).forEach((t, n) => got[n] !== undefined && latencies.push(got[n]! - t));
    }
    latencies.sort((a, b) => a - b);
    acks.sort((a, b) => a - b);
    return {
      "one at a time: webhook answered p50 / p99": `${ms(quantile(quietAcks, 0.5))} / ${ms(quantile(quietAcks, 0.99))}`,
      "one at a time: update-to-reply p50 / p99": `${ms(quantile(quietReplies, 0.5))} / ${ms(quantile(quietReplies, 0.99))}`,
      "burst: updates (from chats)": `${UPDATES} (${CHATS}), ${CONCURRENCY} in flight`,
      "burst: webhook answered p50 / p99": `${ms(quantile(acks, 0.5))} / ${ms(quantile(acks, 0.99))}`,
      "burst: webhook accepted per second": (UPDATES / ((accepted - started) / 1000)).toFixed(0),
      "burst: update-to-reply p50 / p99": latencies.length ? `${ms(quantile(latencies, 0.5))} / ${ms(quantile(latencies, 0.99))}` : "n/a",
      "burst: replies per second": (count() / ((lastReply - started) / 1000)).toFixed(0),
      "burst: replies / updates": `${count()} / ${UPDATES}${count() !== UPDATES ? "  (LOST OR DOUBLED)" : ""}`,
    };
  } finally {
    await cockpit.stop();
    await new Promise((r) => api.close(r));
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchTelegram());
