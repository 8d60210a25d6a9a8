// Builds test/fixtures/mail/nodemailer-attachments.eml with nodemailer's MailComposer from the files in
// test/fixtures/mail/attachment-sources.ts: a calendar invite (icalEvent: nodemailer sends it as the
// text/calendar alternative and again as invite.ics), a binary named in Japanese (RFC 2231), UTF-8
// text quoted-printable, ASCII text 7bit, a forwarded message and an unnamed part, all with CRLF.
// Fixed boundary, date and Message-ID, so the same nodemailer makes the same bytes.
//   node scripts/make-mail-fixture.mjs            (needs the nodemailer devDependency)
import { writeFileSync } from "node:fs";
import MailComposer from "nodemailer/lib/mail-composer";
import * as src from "../test/fixtures/mail/attachment-sources.ts";

const mail = new MailComposer({
  from: "Ops <ops@example.com>",
  to: "repo+attach@cockpit.example.com",
  subject: "Invite, report and notes",
  messageId: "<nodemailer-attachments-1@example.com>",
  date: new Date("2026-12-03T17:06:00Z"),
  text: "See attached.\r\n",
  icalEvent: { method: "REQUEST", content: src.INVITE_ICS },
  attachments: [
    { filename: src.REPORT_NAME, content: Buffer.from(src.REPORT_PDF), contentType: "application/pdf" },
    { filename: "notes.txt", content: src.NOTES_TXT, contentType: "text/plain; charset=utf-8", contentTransferEncoding: "quoted-printable" },
    { filename: "checklist.txt", content: src.CHECKLIST_TXT, contentType: "text/plain", contentTransferEncoding: "7bit" },
    { filename: "forwarded.eml", content: src.FORWARDED_EML, contentType: "message/rfc822" },
    { filename: false, content: Buffer.from(src.UNNAMED_BIN), contentType: "application/octet-stream" },
  ],
}).compile();
mail.baseBoundary = "cockpit-fixture";
const raw = await new Promise((resolve, reject) => mail.build((err, message) => (err ? reject(err) : resolve(message))));
writeFileSync(new URL("../test/fixtures/mail/nodemailer-attachments.eml", import.meta.url), raw);
console.log(`test/fixtures/mail/nodemailer-attachments.eml: ${raw.length} bytes`);
