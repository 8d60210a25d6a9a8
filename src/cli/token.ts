import { readFile } from "node:fs/promises";
import { importPKCS8, SignJWT, type CryptoKey } from "jose";
import { CommandError, requireOption, stringOption, UsageError, type Command } from "./command.ts";
import { readConfigFile } from "./config-file.ts";

const TTL = /^(\d+)([smhd])$/;

export const tokenCommand: Command = {
  name: "token",
  help: `Usage: cockpit token --config FILE --key PRIVATE.pem [--user NAME] [--ttl 1h]

Mints an ItsYou.online-style JWT for local use and prints it: ES384, signed with PRIVATE.pem (a
P-384 private key in PKCS#8 PEM), issuer [oauth].issuer, audience and membership scope
[oauth].organization. The Cockpit accepts it when [oauth].jwt_key is the matching public key.

Create a key pair and the public key for the config with openssl:
  openssl ecparam -name secp384r1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out cockpit-dev.pem
  openssl ec -in cockpit-dev.pem -pubout

Options:
  --config FILE     the cockpit TOML file (required)
  --key FILE        the private key (required); never share it
  --user NAME       the username claim (default: $USER, else "developer")
  --ttl DURATION    lifetime: 30m, 1h (default), 12h, 7d
  -h, --help        this text`,
  options: {
    config: { type: "string", short: "c" },
    key: { type: "string", short: "k" },
    user: { type: "string", short: "u" },
    ttl: { type: "string" },
  },
  async run(args) {
    const config = await readConfigFile(requireOption(args, "config"));
    const keyFile = requireOption(args, "key");
    const ttl = stringOption(args, "ttl") ?? "1h";
    if (!TTL.test(ttl)) throw new UsageError(`--ttl: expected a duration such as 30m, 1h or 7d, got "${ttl}"`);
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
    const token = await new SignJWT({ username: user, scope: [`user:memberof:${org}`] })
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
