/**
 * Attachments are stored byte for byte as they were in the message. The mail is nodemailer's own
 * (test/fixtures/mail/nodemailer-attachments.eml, made by scripts/make-mail-fixture.mjs from the
 * files in attachment-sources.ts): a calendar invite that nodemailer sends twice (the text/calendar
 * alternative, quoted-printable, and invite.ics, base64), a binary named 報告書.pdf (RFC 2231),
 * UTF-8 text quoted-printable and ASCII text 7bit with CRLF, a forwarded message and an unnamed
 * part. Before, postal-mime's decoding was stored: CRLF became LF in 7bit and quoted-printable
 * parts, calendar parts were rewritten, the invite was stored twice and the forwarded message was
 * merged into the body instead of kept.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { AuditEntry } from "../../src/actors/organization.ts";
import type { JobView } from "../../src/actors/service/protocol.ts";
import worker from "../../src/index.ts";
import raw from "../fixtures/mail/nodemailer-attachments.eml?raw";
import * as src from "../fixtures/mail/attachment-sources.ts";
import { api, ORG } from "../helpers/auth.ts";
import { incoming } from "../helpers/mail.ts";
import { until } from "../helpers/until.ts";

type Attachment = { filename: string; original_filename: string | null; content_type: string; size: number; key: string };
const REPO = "attach";

async function sha256(bytes: Uint8Array | ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const ACTIONS = `
const hex = (bytes) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
export async function read(job) {
  const out = {};
  for (const file of job.files.list()) out[file.name] = hex(await crypto.subtle.digest("SHA-256", await job.files.read(file.name, "arrayBuffer")));
  return out;
}
`;

describe("a nodemailer mail's attachments", () => {
  it("are stored byte for byte, the invite once, each with the name it was sent with", async ({ expect }) => {
    expect(raw).toContain("Content-Transfer-Encoding: quoted-printable");
    await api("/ays/repository", { method: "POST", json: { name: REPO } });
    await api(`/ays/repository/${REPO}/template`, { method: "POST", json: { name: "inbox", actions: ACTIONS } });
    const content = "inbox__main:\neventfilters:\n  - channel: email\n    actions: [read]\n";
    expect((await api(`/ays/repository/${REPO}/blueprint`, { method: "POST", json: { name: "inbox.yaml", content } })).status).toBe(201);
    await api(`/ays/repository/${REPO}/blueprint/inbox.yaml`, { method: "POST" });

    const { message, rejects } = incoming(raw, { to: `repo+${REPO}@cockpit.example.com` });
    await worker.email(message, env);
    expect(rejects).toEqual([]);
    const events = async () => ((await (await api(`/ays/events?type=event.email&repo=${REPO}`)).json()) as { events: AuditEntry[] }).events;
    const [logged] = await until(events, (e) => e.length === 1);
    const { payload, id } = logged!.data as { id: string; payload: { attachments: Attachment[]; body: string } };
    const { attachments } = payload;

    const sources: [string, string | null, string, string | Uint8Array][] = [
      ["attachment-2.pdf", src.REPORT_NAME, "application/pdf", src.REPORT_PDF],
      ["notes.txt", "notes.txt", "text/plain", src.NOTES_TXT],
      ["checklist.txt", "checklist.txt", "text/plain", src.CHECKLIST_TXT],
      ["forwarded.eml", "forwarded.eml", "message/rfc822", src.FORWARDED_EML],
      ["attachment-6", null, "application/octet-stream", src.UNNAMED_BIN],
      ["invite.ics", "invite.ics", "application/ics", src.INVITE_ICS],
    ];
    expect(attachments.map((a) => [a.filename, a.original_filename, a.content_type])).toEqual(sources.map(([f, o, t]) => [f, o, t]));
    const expected: Record<string, string> = {};
    for (const [i, [name, , , original]] of sources.entries()) {
      const bytes = src.bytes(original);
      const stored = await env.FILES.get(attachments[i]!.key);
      expect(stored, name).not.toBeNull();
      expect([name, stored!.size, attachments[i]!.size]).toEqual([name, bytes.byteLength, bytes.byteLength]);
      expect([name, await sha256(await stored!.arrayBuffer())]).toEqual([name, await sha256(bytes)]);
      expected[name] = await sha256(bytes);
    }
    expect(src.bytes(src.INVITE_ICS).byteLength).toBe(attachments[5]!.size); // CRLF kept (postal-mime's LF made it shorter)
    // The invite (the text/calendar alternative and invite.ics) is one object; nothing else is stored.
    const objects = (await env.FILES.list({ prefix: `mail/${id}/attachments/` })).objects;
    expect(objects).toHaveLength(6);
    expect(payload.body.trim()).toBe("See attached."); // the forwarded message is its file, not merged into the body

    // The action reads the same bytes as its input files.
    const jobs = await until(
      async () => ((await env.SERVICE.getByName(`${ORG}/${REPO}/inbox!main`).jobs()) as unknown as JobView[]).filter((j) => j.key.startsWith(`event.${id}.`)),
      (list) => list.some((j) => j.state === "ok" || j.state === "error"),
    );
    expect(jobs[0]!.state, jobs[0]!.logs.map((l) => l.log).join(" | ")).toBe("ok");
    expect(jobs[0]!.result).toEqual(expected);
  });
});
