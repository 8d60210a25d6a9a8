/**
 * GitHub on 127.0.0.1, for `provider = "github"`: the OAuth app's web flow (authorize, then
 * access_token, with PKCE) and the REST endpoints Cockpit reads, answering with the shapes and
 * errors GitHub documents ("Authorizing OAuth apps", "Troubleshooting OAuth app access token request
 * errors", REST "Get the authenticated user", "Get an organization membership for the authenticated
 * user", "Get team membership for a user"). Every answer of the token endpoint is 200, errors too.
 *
 * The person "signed in at GitHub" is named by the test with the `x-fake-github-login` header on the
 * authorize request (GitHub would show its own pages); the app is always authorized then, unless the
 * header says `deny`. Tokens can also be minted directly (`POST /_fake/token`) for API tests.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export const GITHUB_ORG = "acme-ops";
export const GITHUB_TEAM = "deployers";
export const GITHUB_CLIENT_ID = "Iv1.c0ckp1tte5t";
export const GITHUB_CALLBACK = "http://cockpit.test/oauth/callback";

type State = "active" | "pending";

interface Person {
  id: number;
  org?: State;
  teams: Record<string, State>;
  /** GitHub answers this person's token with 403: the organization restricts OAuth apps. */
  restricted?: boolean;
  /** GitHub's API is down for this person's token (502 on every call). */
  outage?: boolean;
}

/** Who exists at this GitHub: a member, a pending invitee, an outsider, a member outside the team. */
const PEOPLE: Record<string, Person> = {
  octocat: { id: 583231, org: "active", teams: { [GITHUB_TEAM]: "active" } },
  "new-hire": { id: 1001, org: "pending", teams: { [GITHUB_TEAM]: "pending" } },
  stranger: { id: 1002, teams: {} },
  "org-only": { id: 1003, org: "active", teams: {} },
  "locked-out": { id: 1004, org: "active", teams: {}, restricted: true },
  unlucky: { id: 1005, org: "active", teams: {}, outage: true },
};

const DOCS = "https://docs.github.com/rest";

export interface GitHubFake {
  root: string;
  clientId: string;
  clientSecret: string;
  stop(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const s256 = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");

function simpleUser(root: string, login: string, person: Person) {
  return {
    login,
    id: person.id,
    node_id: `MDQ6VXNlcj${person.id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${person.id}?v=4`,
    gravatar_id: "",
    url: `${root}/users/${login}`,
    html_url: `https://github.com/${login}`,
    type: "User",
    site_admin: false,
  };
}

function organizationSimple(root: string) {
  return {
    login: GITHUB_ORG,
    id: 9919,
    node_id: "MDEyOk9yZ2FuaXphdGlvbjk5MTk=",
    url: `${root}/orgs/${GITHUB_ORG}`,
    repos_url: `${root}/orgs/${GITHUB_ORG}/repos`,
    events_url: `${root}/orgs/${GITHUB_ORG}/events`,
    hooks_url: `${root}/orgs/${GITHUB_ORG}/hooks`,
    issues_url: `${root}/orgs/${GITHUB_ORG}/issues`,
    members_url: `${root}/orgs/${GITHUB_ORG}/members{/member}`,
    public_members_url: `${root}/orgs/${GITHUB_ORG}/public_members{/member}`,
    avatar_url: "https://avatars.githubusercontent.com/u/9919?v=4",
    description: "Operations",
  };
}

export async function startGitHubFake(port = 0): Promise<GitHubFake> {
  const clientSecret = randomBytes(20).toString("hex");
  const codes = new Map<string, { login: string; redirectUri: string; challenge?: string; method?: string; expires: number }>();
  const tokens = new Map<string, string>();
  /** How often GET /user was asked with each token. */
  const userCalls = new Map<string, number>();
  let root = "";

  const newToken = (login: string) => {
    const token = `gho_${randomBytes(18).toString("base64url")}`;
    tokens.set(token, login);
    return token;
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", root);
    try {
      // --- the web flow (github.com) ---
      if (req.method === "GET" && url.pathname === "/login/oauth/authorize") {
        const q = url.searchParams;
        if (q.get("client_id") !== GITHUB_CLIENT_ID) return json(res, 404, { message: "Not Found" });
        const redirectUri = q.get("redirect_uri") ?? GITHUB_CALLBACK;
        const back = new URL(GITHUB_CALLBACK);
        if (q.get("state")) back.searchParams.set("state", q.get("state")!);
        if (redirectUri !== GITHUB_CALLBACK) {
          back.searchParams.set("error", "redirect_uri_mismatch");
          back.searchParams.set("error_description", "The redirect_uri MUST match the registered callback URL for this application.");
          back.searchParams.set("error_uri", "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch");
          res.writeHead(302, { location: back.toString() });
          return res.end();
        }
        const login = String(req.headers["x-fake-github-login"] ?? "");
        if (login === "deny") {
          back.searchParams.set("error", "access_denied");
          back.searchParams.set("error_description", "The user has denied your application access.");
          back.searchParams.set("error_uri", "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied");
          res.writeHead(302, { location: back.toString() });
          return res.end();
        }
        if (!PEOPLE[login]) return json(res, 400, { message: `the test names no known person (x-fake-github-login: ${login})` });
        const code = randomBytes(10).toString("hex");
        codes.set(code, {
          login,
          redirectUri,
          challenge: q.get("code_challenge") ?? undefined,
          method: q.get("code_challenge_method") ?? undefined,
          expires: Date.now() + 10 * 60_000,
        });
        back.searchParams.set("code", code);
        res.writeHead(302, { location: back.toString() });
        return res.end();
      }
      if (req.method === "POST" && url.pathname === "/login/oauth/access_token") {
        const form = new URLSearchParams(await bodyOf(req));
        const error = (error: string, error_description: string, anchor: string) =>
          json(res, 200, { error, error_description, error_uri: `https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#${anchor}` });
        if (form.get("client_id") !== GITHUB_CLIENT_ID || form.get("client_secret") !== clientSecret) {
          return error("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.", "incorrect-client-credentials");
        }
        const grant = codes.get(form.get("code") ?? "");
        codes.delete(form.get("code") ?? "");
        if (!grant || grant.expires < Date.now()) return error("bad_verification_code", "The code passed is incorrect or expired.", "bad-verification-code");
        if (form.get("redirect_uri") && form.get("redirect_uri") !== grant.redirectUri) {
          return error("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.", "redirect-uri-mismatch");
        }
        // GitHub documents no wording of its own for a failed PKCE check: the code is refused.
        if (grant.challenge && (grant.method !== "S256" || s256(form.get("code_verifier") ?? "") !== grant.challenge)) {
          return error("bad_verification_code", "The code passed is incorrect or expired.", "bad-verification-code");
        }
        return json(res, 200, { access_token: newToken(grant.login), token_type: "bearer", scope: "read:org" });
      }

      // --- the tests' own door ---
      if (req.method === "POST" && url.pathname === "/_fake/token") {
        const { login } = JSON.parse(await bodyOf(req)) as { login: string };
        if (!PEOPLE[login]) return json(res, 400, { message: `no such person ${login}` });
        return json(res, 200, { token: newToken(login) });
      }

      if (req.method === "GET" && url.pathname === "/_fake/user-calls") return json(res, 200, { calls: userCalls.get(url.searchParams.get("token") ?? "") ?? 0 });

      // --- the REST API (api.github.com) ---
      if (!req.headers["user-agent"]) {
        res.writeHead(403, { "content-type": "text/plain" });
        return res.end("Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.");
      }
      const auth = /^(?:bearer|token)\s+(\S+)$/i.exec(String(req.headers.authorization ?? ""));
      const login = auth ? tokens.get(auth[1]!) : undefined;
      const person = login ? PEOPLE[login] : undefined;
      if (!login || !person) return json(res, 401, { message: "Bad credentials", documentation_url: DOCS, status: "401" });
      if (person.outage) return json(res, 502, { message: "Server Error" });
      if (req.method === "GET" && url.pathname === "/user") {
        userCalls.set(auth![1]!, (userCalls.get(auth![1]!) ?? 0) + 1);
        return json(res, 200, { ...simpleUser(root, login, person), name: login, company: null, blog: "", location: null, email: null, bio: null, public_repos: 2, followers: 0, following: 0, created_at: "2011-01-25T18:44:36Z", updated_at: "2026-01-01T00:00:00Z" });
      }
      const notFound = () => json(res, 404, { message: "Not Found", documentation_url: DOCS, status: "404" });
      const orgMembership = /^\/user\/memberships\/orgs\/([^/]+)$/.exec(url.pathname);
      if (req.method === "GET" && orgMembership) {
        if (decodeURIComponent(orgMembership[1]!).toLowerCase() !== GITHUB_ORG) return notFound();
        if (person.restricted) {
          return json(res, 403, {
            message: `Although you appear to have the correct authorization credentials, the \`${GITHUB_ORG}\` organization has enabled OAuth App access restrictions, meaning that data access to third-parties is limited. For more information on these restrictions, including how to enable this app, visit https://docs.github.com/articles/restricting-access-to-your-organization-s-data/`,
            documentation_url: "https://docs.github.com/rest/orgs/members#get-an-organization-membership-for-the-authenticated-user",
            status: "403",
          });
        }
        if (!person.org) return notFound();
        return json(res, 200, {
          url: `${root}/orgs/${GITHUB_ORG}/memberships/${login}`,
          state: person.org,
          role: "member",
          organization_url: `${root}/orgs/${GITHUB_ORG}`,
          organization: organizationSimple(root),
          user: simpleUser(root, login, person),
        });
      }
      const teamMembership = /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(url.pathname);
      if (req.method === "GET" && teamMembership) {
        const [, org, slug, who] = teamMembership.map((p) => decodeURIComponent(p ?? ""));
        const target = PEOPLE[who!];
        const state = org!.toLowerCase() === GITHUB_ORG && target ? target.teams[slug!] : undefined;
        if (!state) return notFound();
        return json(res, 200, { url: `${root}/organizations/9919/team/77/memberships/${who}`, role: "member", state });
      }
      return notFound();
    } catch (err) {
      json(res, 500, { message: err instanceof Error ? err.message : String(err) });
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  root = `http://127.0.0.1:${typeof address === "object" && address ? address.port : port}`;
  return {
    root,
    clientId: GITHUB_CLIENT_ID,
    clientSecret,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
