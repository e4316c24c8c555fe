#!/usr/bin/env bash
# Installs the pinned oxlint into .tools/oxlint, beside the pinned Node.
#
# oxlint is not a devDependency: its package lists a native binding for every platform as an
# optional dependency, the npm registry reachable from the build machines serves only some of
# them, and `npm ci` then refuses a lockfile that cannot name the others. A separate prefix keeps
# the project's lockfile exact and `npm ci` working, with the same pinned linter everywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
OXLINT_VERSION=1.94.0
bin=.tools/oxlint/node_modules/.bin/oxlint
if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null | grep -o '[0-9.]*$')" = "$OXLINT_VERSION" ]; then
  exit 0
fi
echo "setup-oxlint: installing oxlint $OXLINT_VERSION into .tools/oxlint"
npm install --prefix .tools/oxlint --no-save --no-package-lock --no-audit --no-fund "oxlint@$OXLINT_VERSION" >/dev/null
"$bin" --version
