/**
 * A mail built by nodemailer (test/fixtures/mail, made with nodemailer 10's MailComposer: a calendar
 * invite, a PDF named in Japanese, a text file, an unnamed part and a forwarded message). Before, the
 * name the sender gave an attachment was kept nowhere: `報告書.pdf` became the job file `pdf`.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { AuditEntry } from "../../src/actors/organization.ts";
import worker from "../../src/index.ts";
import raw from "../fixtures/mail/nodemailer-invite-and-files.eml?raw";
import { api } from "../helpers/auth.ts";
import { incoming } from "../helpers/mail.ts";
import { until } from "../helpers/until.ts";

type Attachment = { filename: string; original_filename: string | null; content_type: string; size: number; key: string };

describe("a nodemailer mail with named, unnamed and non-ASCII attachments", () => {
  it("keeps each name as sent beside the job's safe file name", async ({ expect }) => {
    expect(raw).toContain("\r\n"); // the fixture is the composer's own bytes, CRLF line ends included
    await api("/ays/repository", { method: "POST", json: { name: "corpus" } });
    const { message, rejects } = incoming(raw, { to: "repo+corpus@cockpit.example.com" });
    await worker.email(message, env);
    expect(rejects).toEqual([]);

    const events = async () =>
      ((await (await api("/ays/events?type=event.email&repo=corpus")).json()) as { events: AuditEntry[] }).events;
    const [logged] = await until(events, (e) => e.length === 1);
    const { attachments } = (logged!.data as { payload: { attachments: Attachment[] } }).payload;
    expect(attachments.map((a) => [a.filename, a.original_filename, a.content_type])).toEqual([
      ["attachment-1", null, "text/calendar"],
      ["attachment-2.pdf", "報告書.pdf", "application/pdf"],
      ["notes.txt", "notes.txt", "text/plain"],
      ["attachment-3", "attachment-3.*", "application/octet-stream"],
      ["invite.ics", "invite.ics", "application/ics"],
    ]);
    // Base64 parts are stored byte for byte.
    const pdf = new Uint8Array(await (await env.FILES.get(attachments[1]!.key))!.arrayBuffer());
    expect([...pdf]).toEqual([...new Uint8Array(300).map((_, i) => (i * 7) % 256)]);
    expect(await (await env.FILES.get(attachments[2]!.key))!.text()).toBe("one\r\ntwo\r\nthree\r\n");
  });
});
