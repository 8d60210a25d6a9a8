/** Mail as Email Routing hands it to the Worker, for the email tests. */

/** A ForwardableEmailMessage as Email Routing hands it to the Worker's email() entry, built from raw MIME. */
export function incoming(raw: string, opts: { from?: string; to?: string; rawSize?: number } = {}) {
  const rejects: string[] = [];
  const headerBlock = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, " ");
  const headers = new Headers();
  for (const line of headerBlock.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const message = {
    from: opts.from ?? "ops@example.com",
    to: opts.to ?? "repo+mailroom@cockpit.example.com",
    headers,
    raw: new Response(raw).body!,
    rawSize: opts.rawSize ?? new TextEncoder().encode(raw).byteLength,
    canBeForwarded: false,
    setReject: (reason: string) => void rejects.push(reason),
    forward: async () => ({ messageId: "x" }),
    reply: async () => ({ messageId: "x" }),
  } as unknown as ForwardableEmailMessage;
  return { message, rejects };
}
