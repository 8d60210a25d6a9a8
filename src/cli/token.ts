import { readFile } from "node:fs/promises";
import { importPKCS8, SignJWT, type CryptoKey } from "jose";
import { CommandError, requireOption, stringOption, UsageError, type Command } from "./command.ts";
import { readConfigFile } from "./config-file.ts";
import { localIssuer } from "./local-oidc.ts";
import { pemSigningKey } from "./local-provider.ts";

const TTL = /^(\d+)([smhd])$/;

export const tokenCommand: Command = {
  name: "token",
  help: `Usage: cockpit token --config FILE --key PRIVATE.pem [--user NAME | --organization] [--ttl 1h]

Mints an ItsYou.online-style JWT for local use and prints it: ES384, signed with PRIVATE.pem (a
P-384 private key in PKCS#8 PEM), issuer [oauth].issuer, audience [oauth].organization. By default
it is a member's token (username NAME, scope user:memberof:ORGANIZATION); with --organization it
is the organization's own (globalid ORGANIZATION, as ItsYou.online issues to the organization's
client credentials), which \`cockpit clean_cache\` needs. The Cockpit accepts it when
[oauth].jwt_key is the matching public key (\`cockpit start --dev-key\` sees to that).

With [oauth] provider = "local" the token is the local provider's own, as \`cockpit start\` runs it
with --dev-key PRIVATE.pem: issuer http://127.0.0.1:[oauth.local].port, audience [oauth].audience
(default the client_id), the user's groups from [oauth.local] users (the organization for a name
not listed) in the groups claim, signed ES384 with the key id of PRIVATE.pem; --organization makes
the client's own token (client credentials: no person). Cockpit verifies it with the provider's
published keys, as any OpenID token. For provider = "oidc", get tokens from your provider.

Create a key pair and the public key for the config with openssl:
  openssl ecparam -name secp384r1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out cockpit-dev.pem
  openssl ec -in cockpit-dev.pem -pubout

Options:
  --config FILE     the cockpit TOML file (required)
  --key FILE        the private key (required); never share it
  --user NAME       the username claim (default: $USER, else "developer")
  --organization    the organization's own token instead of a member's
  --ttl DURATION    lifetime: 30m, 1h (default), 12h, 7d
  -h, --help        this text`,
  options: {
    config: { type: "string", short: "c" },
    key: { type: "string", short: "k" },
    user: { type: "string", short: "u" },
    organization: { type: "boolean" },
    ttl: { type: "string" },
  },
  async run(args) {
    const config = await readConfigFile(requireOption(args, "config"));
    const keyFile = requireOption(args, "key");
    const ttl = stringOption(args, "ttl") ?? "1h";
    if (!TTL.test(ttl)) throw new UsageError(`--ttl: expected a duration such as 30m, 1h or 7d, got "${ttl}"`);
    const asOrganization = args.values.organization === true;
    if (asOrganization && stringOption(args, "user") !== undefined) throw new UsageError("--user and --organization exclude each other: a token is a member's or the organization's");
    const user = stringOption(args, "user") ?? process.env.USER ?? "developer";
    let pem: string;
    try {
      pem = await readFile(keyFile, "utf8");
    } catch (err) {
      throw new CommandError(`${keyFile}: cannot read the key (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    let key: CryptoKey;
    try {
      key = await importPKCS8(pem, "ES384");
    } catch {
      throw new CommandError(`${keyFile}: not a P-384 private key in PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----")`);
    }
    const org = config.oauth.organization;
    if (config.oauth.provider === "oidc") {
      throw new CommandError(`[oauth] provider = "oidc": API tokens come from ${config.oauth.issuer} (e.g. its client-credentials grant); cockpit token mints for "itsyouonline" and "local"`);
    }
    if (config.oauth.provider === "github" || config.oauth.provider === "cloudflare-access") {
      const from = config.oauth.provider === "github" ? "GitHub (a person's OAuth or personal access token with read:org)" : "Cloudflare Access (a service token, sent as CF-Access-Client-Id and CF-Access-Client-Secret)";
      throw new CommandError(`[oauth] provider = "${config.oauth.provider}": API tokens come from ${from}; cockpit token mints for "itsyouonline" and "local"`);
    }
    if (config.oauth.provider === "local") {
      const jwk = await pemSigningKey(pem, "ES384");
      const listed = config.oauth.local!.users.find((u) => u.name === user);
      const clientId = config.oauth.client_id;
      const claims = asOrganization
        ? { client_id: clientId, groups: [org], scope: "api" }
        : { preferred_username: user, groups: listed ? listed.groups : [org], client_id: clientId, scope: "api" };
      console.log(
        await new SignJWT(claims)
          .setProtectedHeader({ alg: "ES384", typ: "at+jwt", kid: jwk.kid! })
          .setIssuer(localIssuer(config))
          .setAudience(config.oauth.audience ?? clientId)
          .setSubject(asOrganization ? clientId : user)
          .setJti(crypto.randomUUID())
          .setIssuedAt()
          .setExpirationTime(ttl)
          .sign(key),
      );
      return 0;
    }
    // ItsYou.online's client-credentials token for an organization names it in globalid (and azp, the client id).
    const claims = asOrganization ? { globalid: org, azp: org, scope: [] } : { username: user, scope: [`user:memberof:${org}`] };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: "ES384", typ: "JWT" })
      .setIssuer(config.oauth.issuer)
      .setAudience([org])
      .setIssuedAt()
      .setExpirationTime(ttl)
      .sign(key);
    console.log(token);
    return 0;
  },
};
