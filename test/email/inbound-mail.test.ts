import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { AuditEntry } from "../../src/actors/organization.ts";
import type { JobView } from "../../src/actors/service/protocol.ts";
import worker from "../../src/index.ts";
import { api, ORG } from "../helpers/auth.ts";
import { incoming } from "../helpers/mail.ts";
import { until } from "../helpers/until.ts";

const b64 = (text: string) => btoa(text).replace(/(.{76})/g, "$1\r\n");
const BLUEPRINT = "web__front:\n  port: 8080\n";

const MULTIPART = [
  "From: Ops <ops@example.com>",
  "To: repo+mailroom@cockpit.example.com",
  "Cc: Team <team@example.com>",
  "Subject: =?ISO-8859-1?Q?D=E9ploiement_caf=E9?=",
  "Message-ID: <m1@example.com>",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="outer"',
  "",
  "--outer",
  'Content-Type: multipart/alternative; boundary="alt"',
  "",
  "--alt",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "Please deploy =E2=9C=93 the attached blueprint, it is a long line that gets soft-=",
  "wrapped by quoted-printable.",
  "--alt",
  "Content-Type: text/html; charset=utf-8",
  "",
  "<p>Please deploy</p>",
  "--alt--",
  "--outer",
  'Content-Type: application/x-yaml; name="site.yaml"',
  'Content-Disposition: attachment; filename="site.yaml"',
  "Content-Transfer-Encoding: base64",
  "",
  b64(BLUEPRINT),
  "--outer",
  "Content-Type: image/png",
  "Content-Disposition: inline",
  "Content-ID: <logo>",
  "Content-Transfer-Encoding: base64",
  "",
  b64("\x89PNG fake image"),
  "--outer",
  "Content-Type: application/octet-stream",
  "Content-Transfer-Encoding: base64",
  "",
  b64("no file name here"),
  "--outer--",
  "",
].join("\r\n");

const events = async (type: string) => ((await (await api(`/ays/events?type=${type}`)).json()) as { events: AuditEntry[] }).events;

describe("inbound email", () => {
  it("turns a mail into an event whose filtered action reads the attachment and stores a result file", async ({ expect }) => {
    await api("/ays/repository", { method: "POST", json: { name: "mailroom" } });
    await api("/ays/repository/mailroom/template", {
      method: "POST",
      json: {
        name: "inbox",
        actions: `export async function intake(job) {
          const p = job.args.payload;
          job.log(p.subject + " | " + p.body_type + " | " + p.attachments.map((a) => a.filename).join(","));
          const bp = await job.files.read("site.yaml");
          await job.files.write("accepted.txt", "accepted " + bp.length + " bytes from " + p.sender);
        }`,
      },
    });
    const content = "inbox__main:\neventfilters:\n  - channel: email\n    actions: [intake]\n";
    await api("/ays/repository/mailroom/blueprint", { method: "POST", json: { name: "inbox.yaml", content } });
    await api("/ays/repository/mailroom/blueprint/inbox.yaml", { method: "POST" });

    const { message, rejects } = incoming(MULTIPART);
    await worker.email(message, env);
    expect(rejects).toEqual([]);

    const [logged] = await until(() => events("event.email"), (e) => e.length === 1);
    const payload = (logged!.data as { payload: { subject: string; body: string; cc: string[]; attachments: { filename: string; content_type: string; size: number; key: string }[] } }).payload;
    expect(payload.subject).toBe("Déploiement café");
    expect(payload.body).toContain("Please deploy ✓ the attached blueprint, it is a long line that gets soft-wrapped by quoted-printable.");
    expect(payload.cc).toEqual(["team@example.com"]);
    expect(payload.attachments.map((a) => [a.filename, a.content_type, a.size])).toEqual([
      ["site.yaml", "application/x-yaml", BLUEPRINT.length],
      ["attachment-2", "image/png", 15],
      ["attachment-3", "application/octet-stream", 17],
    ]);
    expect(await (await env.FILES.get(payload.attachments[0]!.key))!.text()).toBe(BLUEPRINT);

    const jobs = await until(
      async () => ((await env.SERVICE.getByName(`${ORG}/mailroom/inbox!main`).jobs()) as unknown as JobView[]).filter((j) => j.action === "intake"),
      (j) => j.some((x) => x.state === "ok" || x.state === "error"),
    );
    expect(jobs[0]!.state, JSON.stringify(jobs[0]!.logs)).toBe("ok");
    expect(jobs[0]!.logs[0]!.log).toBe("Déploiement café | text | site.yaml,attachment-2,attachment-3");
    const listed = await env.FILES.list({ prefix: "jobs/" });
    const result = listed.objects.find((o) => o.key.endsWith("/out/accepted.txt"))!;
    expect(await (await env.FILES.get(result.key))!.text()).toBe(`accepted ${BLUEPRINT.length} bytes from ops@example.com`);
  });

  it.for([
    ["a sender outside allowed_senders", { from: "mallory@evil.test" }, "", "sender mallory@evil.test is not allowed"],
    ["an auto-reply", {}, "Auto-Submitted: auto-replied\r\n", "auto-replies are not accepted"],
    ["a message over max_bytes", { rawSize: 26214401 }, "", "message too large: 26214401 bytes, the limit is 26214400"],
    ["an unknown repository", { to: "repo+nowhere@cockpit.example.com" }, "", "no repository nowhere"],
  ] as const)("rejects %s, logging it and storing nothing", async ([, opts, extraHeader, reason], { expect }) => {
    const before = (await env.FILES.list({ prefix: "mail/" })).objects.length;
    const raw = `${extraHeader}From: x@example.com\r\nTo: y@example.com\r\nSubject: hi\r\nMessage-ID: <r@example.com>\r\n\r\nbody\r\n`;
    const { message, rejects } = incoming(raw, opts);
    await worker.email(message, env);
    expect(rejects).toEqual([reason]);
    expect((await env.FILES.list({ prefix: "mail/" })).objects.length).toBe(before);
    const rejected = await until(() => events("mail.rejected"), (e) => e.some((x) => x.message === reason));
    expect(rejected.some((x) => x.message === reason)).toBe(true);
  });

  it("rejects MIME nested deeper than the limit as malformed", async ({ expect }) => {
    let body = "text/plain leaf";
    for (let i = 40; i > 0; i--) body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}\r\n--b${i}--`;
    const raw = `From: ops@example.com\r\nTo: cockpit@example.com\r\nSubject: deep\r\nMessage-ID: <d@example.com>\r\nMIME-Version: 1.0\r\n${body}\r\n`;
    const { message, rejects } = incoming(raw, { to: "cockpit@example.com" });
    await worker.email(message, env);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatch(/^malformed message: /);
  });

  it("accepts an 18 MB attachment (about 24.6 MB encoded, under Email Routing's 25 MiB)", async ({ expect }) => {
    const big = "x".repeat(18 * 1024 * 1024);
    const raw = [
      "From: ops@example.com", "To: cockpit@example.com", "Subject: big", "Message-ID: <big@example.com>", "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="b"', "", "--b", "Content-Type: text/plain", "", "see attached", "--b",
      'Content-Type: application/octet-stream; name="big.bin"', "Content-Transfer-Encoding: base64", "", b64(big), "--b--", "",
    ].join("\r\n");
    const { message, rejects } = incoming(raw, { to: "cockpit@example.com" });
    await worker.email(message, env);
    expect(rejects).toEqual([]);
    const stored = await until(async () => (await env.FILES.list({ prefix: "mail/" })).objects.filter((o) => o.key.endsWith("-big.bin")), (o) => o.length === 1);
    expect(stored[0]!.size).toBe(big.length);
  });
});

describe("GET /ays/files/{key}", () => {
  it("downloads a stored attachment for members only, and refuses keys outside the file areas", async ({ expect }) => {
    await env.FILES.put("mail/m-1/attachments/1-notes.txt", "hello", { httpMetadata: { contentType: "text/plain" } });
    const res = await api(`/ays/files/${encodeURIComponent("mail/m-1/attachments/1-notes.txt")}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="notes.txt"');
    expect(await res.text()).toBe("hello");
    const { exports } = await import("cloudflare:workers");
    expect((await exports.default.fetch(`http://cockpit.test/ays/files/${encodeURIComponent("mail/m-1/attachments/1-notes.txt")}`)).status).toBe(401);
    expect((await api(`/ays/files/${encodeURIComponent("mail/none")}`)).status).toBe(404);
    expect((await api(`/ays/files/${encodeURIComponent("secrets/x")}`)).status).toBe(400);
    expect((await api(`/ays/files/${encodeURIComponent("mail/../secrets")}`)).status).toBe(400);
  });
});
