#!/usr/bin/env bash
# Compiles src/ into dist/ without a moment where dist/ is missing or half
# written: tests and the lab run the built CLI while someone rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .dist-next .dist-old
tsc -p tsconfig.json --outDir .dist-next
if [ -d dist ]; then mv dist .dist-old; fi
mv .dist-next dist
rm -rf .dist-old
node scripts/manifest.mjs
