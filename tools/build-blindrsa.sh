#!/bin/sh
# Rebuild webapp/static/js/vendor/blindrsa-0.4.4.min.js from the npm package (RFC 9474 client for
# the owners' anonymous evaluation).  Needs node and npm; writes nothing but the bundle.
set -eu
VERSION=0.4.4
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "@cloudflare/blindrsa-ts@$VERSION" esbuild@0.28.2 >/dev/null
printf 'export { RSABSSA } from "@cloudflare/blindrsa-ts";\n' > entry.js
npx esbuild entry.js --bundle --format=iife --global-name=BlindRSATs --minify --target=es2020 --outfile=out.js
OUT="$HERE/webapp/static/js/vendor/blindrsa-$VERSION.min.js"
{
  printf '/*! @cloudflare/blindrsa-ts %s (Apache-2.0, https://github.com/cloudflare/blindrsa-ts), bundling its copy of sjcl 1.0.8 (BSD-2-Clause); built by tools/build-blindrsa.sh with esbuild. Licences: blindrsa-ts.LICENSE.txt, sjcl.LICENSE.txt beside this file. */\n' "$VERSION"
  cat out.js
} > "$OUT"
sha256sum "$OUT"
