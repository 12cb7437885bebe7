#!/usr/bin/env bash
# The production install of the hub: the controller's compiled code and its production dependencies
# only (no simulator, no test or build tools), in OUT_DIR. deploy/Dockerfile's build stage runs exactly
# this script, and so does the container test (test/deploy/container.test.ts) in a copy of the same
# build context.
#
#   deploy/build-prod.sh OUT_DIR      then: node OUT_DIR/dist/main.js run --config FILE
set -euo pipefail
out="${1:?usage: deploy/build-prod.sh OUT_DIR}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pnpm install --frozen-lockfile
# The controller and the packages it references; nothing else of the workspace is in the context.
pnpm exec tsc -b apps/controller
# pnpm deploy copies the controller (its package.json "files": dist/; the demo is apps/demo) and installs
# its production dependencies, workspace packages included, into a folder of its own.
rm -rf "$out"
pnpm --filter @eks-auth-hub/controller deploy --prod "$out"
