#!/usr/bin/env bash
# The README's two commands, `npm install && npm start`, on a fresh copy of this commit with the
# newest npm (or NPM_VERSION): npm 12 blocks dependency install scripts unless package.json's
# allowScripts names them, and without node's preinstall there is no Node 22, and no wrangler dev.
# Checks the allowed scripts ran (Node 22, workerd, esbuild), then that `npm start` answers /health.
# Needs ports 5000 and 5001 free (config/cockpit.example.toml). Usage: bash scripts/check-npm-install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
NPM_VERSION=${NPM_VERSION:-latest}
dir=$(mktemp -d)
server=""
# npm start runs wrangler dev and the local OpenID provider: stop the whole process group.
trap '[ -n "$server" ] && kill -- "-$server" 2>/dev/null; rm -rf "$dir"' EXIT

git archive HEAD | tar -x -C "$dir"
cd "$dir"
npx -y "npm@$NPM_VERSION" --version
npx -y "npm@$NPM_VERSION" install --no-audit --no-fund 2>&1 | tee install.log
if grep -q "install scripts blocked" install.log; then
  echo "FAIL: npm $NPM_VERSION blocked install scripts that package.json's allowScripts does not cover (above)" >&2
  exit 1
fi
node_modules/.bin/node --version | grep -q '^v22\.' || { echo "FAIL: the node devDependency did not install Node 22" >&2; exit 1; }
node_modules/.bin/esbuild --version
node_modules/workerd/bin/workerd --version

for port in 5000 5001; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is in use: stop what listens there first" >&2; exit 1; fi
done
setsid npx -y "npm@$NPM_VERSION" start > start.log 2>&1 &
server=$!
for _ in $(seq 1 120); do
  if curl -sf http://127.0.0.1:5000/health > /dev/null; then
    echo "ok: npm $NPM_VERSION: npm install && npm start answered /health"
    exit 0
  fi
  sleep 1
done
cat start.log >&2
echo "FAIL: npm start did not answer http://127.0.0.1:5000/health within 120 s" >&2
exit 1
