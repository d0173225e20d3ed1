#!/usr/bin/env bash
# Builds dist/ without a moment where dist/ is missing or half written: tests
# and the lab run the built CLI while someone rebuilds. Type errors stop the
# build; the code is bundled by esbuild (scripts/bundle.mjs: one file per
# command plus shared chunks, source maps beside them).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .dist-next .dist-old
tsc -p tsconfig.json --noEmit
node scripts/bundle.mjs .dist-next
if [ -d dist ]; then mv dist .dist-old; fi
mv .dist-next dist
rm -rf .dist-old
node scripts/manifest.mjs
