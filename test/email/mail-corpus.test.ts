/**
 * A mail built by nodemailer (test/fixtures/mail, made with nodemailer 10's MailComposer: a calendar
 * invite, a PDF named in Japanese, a text file, an unnamed part and a forwarded message). Before, the
 * name the sender gave an attachment was kept nowhere: `報告書.pdf` became the job file `pdf`; and
 * the invite was stored twice and without its CRLF, the forwarded message merged into the body.
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
      ["attachment-2.pdf", "報告書.pdf", "application/pdf"],
      ["notes.txt", "notes.txt", "text/plain"],
      ["attachment-3", "attachment-3.*", "application/octet-stream"],
      ["forwarded.eml", "forwarded.eml", "message/rfc822"],
      ["invite.ics", "invite.ics", "application/ics"],
    ]);
    const stored = async (i: number) => new Uint8Array(await (await env.FILES.get(attachments[i]!.key))!.arrayBuffer());
    expect([...(await stored(0))]).toEqual([...new Uint8Array(300).map((_, i) => (i * 7) % 256)]);
    const text = async (i: number) => new TextDecoder().decode(await stored(i));
    expect(await text(1)).toBe("one\r\ntwo\r\nthree\r\n");
    // The invite, sent as the text/calendar alternative and again as invite.ics, is stored once, with its CRLF (postal-mime's LF made it 14 bytes shorter).
    const lines = Array.from({ length: 12 }, (_, i) => `LINE${i + 1}:value number ${i + 1} xxxxxxxx`);
    const invite = ["BEGIN:VCALENDAR", ...lines, "END:VCALENDAR", ""].join("\r\n");
    expect([await text(4), attachments[4]!.size]).toEqual([invite, new TextEncoder().encode(invite).byteLength]);
    expect(await text(3)).toBe("From: a@example.com\r\nTo: b@example.com\r\nSubject: inner\r\nMessage-ID: <inner@example.com>\r\n\r\nHello inner\r\nsecond line\r\n");
  });
});
