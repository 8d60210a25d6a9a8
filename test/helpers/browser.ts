import { exports } from "cloudflare:workers";

export const ORIGIN = "http://cockpit.test";

interface StoredCookie {
  value: string;
  path: string;
  attributes: string;
}

/**
 * A browser's view of the Worker: a cookie jar honouring Path and Max-Age=0, and an Origin header
 * on every request, as a browser sends on its own pages' POSTs. Redirects are not followed, so
 * tests see each hop.
 */
export class Browser {
  readonly jar = new Map<string, StoredCookie>();
  /** How requests reach the Worker: its default export unless a test hands it another env. */
  private readonly send: (request: Request) => Promise<Response>;

  constructor(send?: (request: Request) => Promise<Response>) {
    this.send = send ?? ((request) => exports.default.fetch(request));
  }

  async fetch(path: string, init: RequestInit & { origin?: string | null } = {}): Promise<Response> {
    const url = new URL(path, ORIGIN);
    const headers = new Headers(init.headers);
    const cookies = [...this.jar].filter(([, c]) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`));
    if (cookies.length) headers.set("cookie", cookies.map(([name, c]) => `${name}=${c.value}`).join("; "));
    const origin = init.origin === undefined ? ORIGIN : init.origin;
    if (origin !== null) headers.set("origin", origin);
    const res = await this.send(new Request(url, { ...init, headers, redirect: "manual" }));
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const [name, ...rest] = pair!.split("=");
      const path = attrs.find((a) => /^path=/i.test(a))?.slice(5) ?? "/";
      if (attrs.some((a) => /^max-age=0$/i.test(a))) this.jar.delete(name!);
      else this.jar.set(name!, { value: rest.join("="), path, attributes: attrs.join("; ") });
    }
    return res;
  }

  cookie(name: string): string | undefined {
    return this.jar.get(name)?.value;
  }
}
