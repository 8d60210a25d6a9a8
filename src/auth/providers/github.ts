/**
 * A GitHub OAuth app (`provider = "github"`): the person authorizes at `{web_root}/login/oauth/authorize`
 * (scope `read:org`, PKCE S256), the code becomes an opaque token at `{web_root}/login/oauth/access_token`,
 * and a member is an *active* member of the GitHub organization `[oauth] organization`
 * (`GET {api_root}/user/memberships/orgs/{org}`), or of its team `[oauth] team` when set
 * (`GET {api_root}/orgs/{org}/teams/{team}/memberships/{login}`). The user name is the GitHub login.
 */
import { AuthError, type Caller } from "../jwt.ts";
import { FETCH_TIMEOUT_MS, providerSays, randomString, s256 } from "./oidc.ts";
import { TokenCache, tokenHash } from "./token-cache.ts";
import { SignInRefusal, type IdentityProvider, type OAuthSettings, type RefusalCode } from "./types.ts";

export const GITHUB_WEB_ROOT = "https://github.com";
export const GITHUB_API_ROOT = "https://api.github.com";
/** `read:org` lets the app read the person's organization and team memberships, private ones too. */
export const GITHUB_SCOPES = ["read:org"];
/** How long GitHub's answer about a bearer token is kept. */
export const GITHUB_BEARER_TTL_MS = 60_000;
/** Longer than any token GitHub issues (classic 40 hex, `gho_…`, `github_pat_…`): anything else is not one. */
const MAX_TOKEN_LENGTH = 255;

/** GitHub's API cannot answer right now (down, unreachable, rate limited). */
export class GitHubUnavailable extends Error {
  override name = "GitHubUnavailable";
}

/** What GitHub says about a token's person and the organization (or team). */
export type GitHubMembership =
  | { member: true; user: string }
  | { member: false; user?: string; code: Extract<RefusalCode, "not_member" | "token_invalid">; reason: string };

const trimSlash = (s: string) => s.replace(/\/+$/, "");

export function githubRoots(oauth: OAuthSettings): { web: string; api: string } {
  return { web: trimSlash(oauth.web_root ?? GITHUB_WEB_ROOT), api: trimSlash(oauth.api_root ?? GITHUB_API_ROOT) };
}

interface ApiAnswer {
  status: number;
  body: Record<string, unknown> | undefined;
}

/** One REST call with the person's token, as GitHub documents it (a User-Agent is mandatory). */
async function githubApi(oauth: OAuthSettings, token: string, path: string): Promise<ApiAnswer> {
  const url = `${githubRoots(oauth).api}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
        "user-agent": "cockpit",
      },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch (err) {
    throw new GitHubUnavailable(`GitHub's API (${new URL(url).host}) cannot be reached (${err instanceof Error ? err.message : String(err)})`);
  }
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (response.status >= 500) throw new GitHubUnavailable(`GitHub's API answered HTTP ${response.status}`);
  const limited = response.status === 429 || (response.status === 403 && response.headers.get("x-ratelimit-remaining") === "0");
  if (limited) throw new GitHubUnavailable("GitHub's API rate limit is exhausted");
  return { status: response.status, body: body && typeof body === "object" ? body : undefined };
}

const messageOf = (answer: ApiAnswer) =>
  (typeof answer.body?.message === "string" ? `HTTP ${answer.status}: ${answer.body.message}` : `HTTP ${answer.status}`).replace(/\s+/g, " ").slice(0, 200);

/**
 * Is this token's person (still) an active member of the organization, or of `[oauth] team`?
 * Sign-in, API bearer tokens and membership re-checks all ask this.
 * @throws GitHubUnavailable when GitHub cannot answer (a 503, not a refusal)
 */
export async function githubMembership(oauth: OAuthSettings, token: string): Promise<GitHubMembership> {
  const me = await githubApi(oauth, token, "/user");
  if (me.status === 401) return { member: false, code: "token_invalid", reason: `GitHub refused the token (${messageOf(me)}): it was revoked, expired or is not a GitHub token` };
  const login = me.body?.login;
  if (me.status !== 200 || typeof login !== "string" || login === "") return { member: false, code: "token_invalid", reason: `GitHub's /user did not name the token's person (${messageOf(me)})` };
  const org = oauth.organization;
  const team = oauth.team;
  const where = team ? `the team '${team}' of the GitHub organization '${org}'` : `the GitHub organization '${org}'`;
  const path = team
    ? `/orgs/${encodeURIComponent(org)}/teams/${encodeURIComponent(team)}/memberships/${encodeURIComponent(login)}`
    : `/user/memberships/orgs/${encodeURIComponent(org)}`;
  const membership = await githubApi(oauth, token, path);
  if (membership.status === 404) return { member: false, user: login, code: "not_member", reason: `${login} is not a member of ${where}` };
  if (membership.status === 403) {
    return {
      member: false,
      user: login,
      code: "token_invalid",
      reason: `GitHub does not let Cockpit see ${login}'s membership of ${where} (${messageOf(membership)}): an owner of '${org}' may have to approve this OAuth app (third-party access restrictions), or the token lacks read:org`,
    };
  }
  const state = membership.body?.state;
  if (membership.status !== 200 || typeof state !== "string") return { member: false, user: login, code: "token_invalid", reason: `GitHub answered the membership of ${where} with ${messageOf(membership)}` };
  if (state === "pending") return { member: false, user: login, code: "not_member", reason: `${login}'s membership of ${where} is pending: accept the invitation on GitHub first` };
  if (state !== "active") return { member: false, user: login, code: "not_member", reason: `${login}'s membership of ${where} is ${state.slice(0, 40)}, not active` };
  return { member: true, user: login };
}

interface TokenAnswer {
  access_token?: unknown;
  error?: unknown;
  error_description?: unknown;
}

/** GitHub's answers about bearer tokens, with when each stops being trusted. */
const bearerCache = new TokenCache<{ membership: GitHubMembership; until: number }>();

export const github: IdentityProvider = {
  newSecrets: () => ({ verifier: randomString() }),

  async authorizeUrl(oauth, { redirectUri, state, secrets }) {
    const url = new URL(`${githubRoots(oauth).web}/login/oauth/authorize`);
    url.searchParams.set("client_id", oauth.client_id);
    url.searchParams.set("redirect_uri", redirectUri);
    url.searchParams.set("scope", GITHUB_SCOPES.join(" "));
    url.searchParams.set("state", state);
    url.searchParams.set("code_challenge", await s256(secrets.verifier!));
    url.searchParams.set("code_challenge_method", "S256");
    return url.toString();
  },

  async exchange(oauth, { code, redirectUri, secrets }, onStep) {
    if (!oauth.client_secret) throw new SignInRefusal("not_configured", "sign-in is not configured: set [oauth] client_secret (a Worker secret, OAUTH_CLIENT_SECRET)");
    if (!secrets.verifier) throw new SignInRefusal("token_invalid", "the sign-in link carries no PKCE verifier: start again");
    onStep("exchange");
    const body = new URLSearchParams({ client_id: oauth.client_id, client_secret: oauth.client_secret, code, redirect_uri: redirectUri, code_verifier: secrets.verifier });
    let answer: TokenAnswer;
    try {
      const response = await fetch(`${githubRoots(oauth).web}/login/oauth/access_token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", "user-agent": "cockpit" },
        body,
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (response.status >= 500) throw new GitHubUnavailable(`HTTP ${response.status}`);
      answer = (await response.json().catch(() => ({}))) as TokenAnswer;
      // GitHub answers a refused code with 200 and {error, error_description, error_uri}.
      if (typeof answer.error === "string" || !response.ok) throw new SignInRefusal("exchange_failed", `GitHub refused the sign-in code (${providerSays(answer, response.status)}): start again`);
    } catch (err) {
      if (err instanceof SignInRefusal) throw err;
      throw new SignInRefusal("provider_unavailable", "GitHub's token endpoint could not be reached: try again in a minute");
    }
    if (typeof answer.access_token !== "string" || answer.access_token === "") throw new SignInRefusal("exchange_failed", "GitHub sent no access token: start again");
    onStep("membership");
    let membership: GitHubMembership;
    try {
      membership = await githubMembership(oauth, answer.access_token);
    } catch (err) {
      if (err instanceof GitHubUnavailable) throw new SignInRefusal("provider_unavailable", `${err.message}: try again in a minute`);
      throw err;
    }
    if (!membership.member) throw new SignInRefusal(membership.code, membership.reason);
    // GitHub's OAuth app tokens live until revoked: the token itself is what a re-check asks with.
    return { user: membership.user, grant: { access_token: answer.access_token } };
  },

  async recheck(oauth, grant) {
    if (!grant?.access_token) return { status: "unsupported", reason: "no GitHub token was kept at sign-in" };
    try {
      const membership = await githubMembership(oauth, grant.access_token);
      return membership.member ? { status: "member" } : { status: "ended", reason: membership.reason };
    } catch (err) {
      if (err instanceof GitHubUnavailable) return { status: "unavailable", reason: `GitHub could not be asked: ${err.message}` };
      throw err;
    }
  },

  async verifyBearer(token, oauth): Promise<Caller> {
    if (token.length > MAX_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) throw new AuthError("the token is not a GitHub token");
    // Keyed by where and what was asked too: the same token may be a member of one org and not another.
    const hash = await tokenHash(`${githubRoots(oauth).api}\n${oauth.organization}\n${oauth.team ?? ""}\n${token}`);
    let kept = bearerCache.get(hash);
    if (!kept) {
      let membership: GitHubMembership;
      try {
        membership = await githubMembership(oauth, token);
      } catch (err) {
        if (err instanceof GitHubUnavailable) throw new AuthError(`cannot check the token with GitHub: ${err.message}`);
        throw err;
      }
      kept = { membership, until: Date.now() + GITHUB_BEARER_TTL_MS };
      bearerCache.set(hash, kept, kept.until);
    }
    const { membership, until } = kept;
    if (!membership.member) throw new AuthError(membership.code === "not_member" ? `not a member: ${membership.reason}` : membership.reason);
    // GitHub's OAuth tokens carry no expiry: the caller is good for as long as the answer is kept.
    return { user: membership.user, kind: "user", exp: Math.floor(until / 1000) };
  },
};
