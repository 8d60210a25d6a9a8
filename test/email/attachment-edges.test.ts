/**
 * Attachments byte for byte in the MIME shapes nodemailer does not make: a message with LF line
 * ends (quoted-printable padding and soft breaks), a message that is one 8bit attachment, a
 * delimiter of the outer multipart ending an inner one left open, and one file sent under two
 * names. A message whose parts this reading cannot follow (a boundary split by RFC 2231) is still
 * taken, with postal-mime's bytes and a warning.
 */
import { env } from "cloudflare:workers";
import { describe, it, vi } from "vitest";
import type { AuditEntry } from "../../src/actors/organization.ts";
import worker from "../../src/index.ts";
import { api } from "../helpers/auth.ts";
import { incoming } from "../helpers/mail.ts";
import { until } from "../helpers/until.ts";

type Attachment = { filename: string; original_filename: string | null; size: number; key: string };
const REPO = "edges";

async function deliver(raw: string, subject: string): Promise<{ attachments: Attachment[]; text: (i: number) => Promise<string> }> {
  const { message, rejects } = incoming(raw, { to: `repo+${REPO}@cockpit.example.com` });
  await worker.email(message, env);
  if (rejects.length) throw new Error(rejects.join("; "));
  const find = async () =>
    ((await (await api(`/ays/events?type=event.email&repo=${REPO}&limit=100`)).json()) as { events: AuditEntry[] }).events.filter(
      (e) => (e.data as { payload: { subject: string } }).payload.subject === subject,
    );
  const [entry] = await until(find, (list) => list.length === 1);
  const { attachments } = (entry!.data as { payload: { attachments: Attachment[] } }).payload;
  return { attachments, text: async (i) => (await env.FILES.get(attachments[i]!.key))!.text() };
}

const head = (subject: string, type: string) => [`From: ops@example.com`, `To: repo+${REPO}@cockpit.example.com`, `Subject: ${subject}`, "MIME-Version: 1.0", `Content-Type: ${type}`, ""];

describe("attachments byte for byte", () => {
  it("keep LF line ends of an LF message; quoted-printable drops its padding and soft breaks", async ({ expect }) => {
    await api("/ays/repository", { method: "POST", json: { name: REPO } });
    const raw = [
      ...head("lf", 'multipart/mixed; boundary="b"'),
      "--b",
      "Content-Type: text/plain",
      "",
      "body",
      "--b",
      "Content-Type: text/plain; name=a.txt",
      "Content-Disposition: attachment; filename=a.txt",
      "",
      "a",
      "b",
      "",
      "--b",
      "Content-Type: text/plain; name=q.txt",
      "Content-Disposition: attachment; filename=q.txt",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "x=3Dy \t",
      "soft=",
      "ly joined=20",
      "=E2=82=AC",
      "--b--",
      "",
    ].join("\n");
    const { attachments, text } = await deliver(raw, "lf");
    expect(attachments.map((a) => a.filename)).toEqual(["a.txt", "q.txt"]);
    expect(await text(0)).toBe("a\nb\n");
    expect(await text(1)).toBe("x=y\nsoftly joined \n€");
    expect(attachments[1]!.size).toBe(new TextEncoder().encode("x=y\nsoftly joined \n€").byteLength);
  });

  it("take a message that is one 8bit attachment whole, to its last byte", async ({ expect }) => {
    const body = "Grüße\r\nzweite Zeile\r\n\r\n";
    const raw = [
      ...head("single", "text/plain; charset=utf-8; name=gruss.txt").slice(0, -1),
      "Content-Disposition: attachment; filename=gruss.txt",
      "Content-Transfer-Encoding: 8bit",
      "",
      body,
    ].join("\r\n");
    const { attachments, text } = await deliver(raw, "single");
    expect(attachments.map((a) => a.filename)).toEqual(["gruss.txt"]);
    expect(await text(0)).toBe(body);
  });

  it("end an inner part at the outer delimiter, and store one file sent under two names once", async ({ expect }) => {
    const raw = [
      ...head("nested", 'multipart/mixed; boundary="outer"'),
      "--outer",
      'Content-Type: multipart/related; boundary="inner"',
      "",
      "--inner",
      "Content-Type: text/plain",
      "",
      "hello",
      "--inner",
      "Content-Type: image/png; name=a.png",
      "Content-Transfer-Encoding: 7bit",
      "",
      "not really a png\r",
      "--outer",
      "Content-Type: application/octet-stream; name=one.bin",
      "Content-Disposition: attachment; filename=one.bin",
      "",
      "same bytes",
      "--outer",
      "Content-Type: application/octet-stream; name=two.bin",
      "Content-Disposition: attachment; filename=two.bin",
      "Content-Transfer-Encoding: base64",
      "",
      btoa("same bytes"),
      "--outer--",
    ].join("\r\n");
    const { attachments, text } = await deliver(raw, "nested");
    expect(attachments.map((a) => [a.filename, a.size])).toEqual([["a.png", 17], ["one.bin", 10], ["two.bin", 10]]);
    expect(await text(0)).toBe("not really a png\r");
    expect(attachments[2]!.key).toBe(attachments[1]!.key);
    expect(await text(1)).toBe("same bytes");
  });

  it("are postal-mime's, with a warning, when the parts cannot be followed", async ({ expect }) => {
    const warn = vi.spyOn(console, "warn");
    const raw = [
      ...head("split", 'multipart/mixed; boundary*0="sp"; boundary*1="lit"'),
      "--split",
      "Content-Type: text/plain",
      "",
      "body",
      "--split",
      "Content-Type: application/octet-stream; name=x.bin",
      "Content-Disposition: attachment; filename=x.bin",
      "",
      "x\r\ny",
      "--split--",
    ].join("\r\n");
    const { attachments, text } = await deliver(raw, "split");
    expect(attachments.map((a) => a.filename)).toEqual(["x.bin"]);
    expect(await text(0)).toBe("x\ny\n"); // postal-mime's reading
    expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(expect.stringMatching(/^mail attachments: 0 raw parts against postal-mime's 1/));
    warn.mockRestore();
  });
});
