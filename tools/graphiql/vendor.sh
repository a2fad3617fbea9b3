#!/usr/bin/env bash
# Vendor the browser builds GraphiQL needs into the Python package, so the
# GraphiQL page works without internet access and without npm at run time.
#
#   tools/graphiql/vendor.sh          # npm ci + copy + verify
#
# Versions are pinned in package.json / package-lock.json next to this script.
# Only prebuilt UMD / minified files, their stylesheets and license texts are
# copied; the result is committed under sfm_graphql/http/static/graphiql/.
# Hand-written files in that folder (init.js, init.css) are left alone.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dest="$repo/sfm_graphql/http/static/graphiql"
nm="$here/node_modules"

command -v npm >/dev/null || { echo "vendor.sh: npm is required" >&2; exit 1; }

echo "vendor.sh: npm ci in $here"
(cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

# source path (relative to node_modules) | file name in $dest | sha384 of the
# same file as loaded from unpkg by Strawberry's default GraphiQL page ("-" = none
# published). A mismatch means the pinned package is not what the CDN page served.
# Strawberry's page loads no graphql-ws (its GraphiQL bundle has its own client, which
# cannot send the headers editor's Authorization in connection_init); its hash is the one
# of umd/graphql-ws.min.js in the tarball package-lock.json pins, recorded when it was
# first vendored, so a re-vendor that yields another file fails the same way.
files=(
  "react/umd/react.production.min.js|react.production.min.js|tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8"
  "react-dom/umd/react-dom.production.min.js|react-dom.production.min.js|bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh"
  "js-cookie/dist/js.cookie.min.js|js.cookie.min.js|/vxhYfM1LENRhdpZ8dwEsQn/X4VhpbEZSiU4m/FwR+PVpzar4fkEOw8FP9Y+OfQN"
  "graphiql/graphiql.min.js|graphiql.min.js|HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie"
  "graphiql/graphiql.min.css|graphiql.min.css|Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM"
  "@graphiql/plugin-explorer/dist/index.umd.js|plugin-explorer.umd.js|2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9"
  "@graphiql/plugin-explorer/dist/style.css|plugin-explorer.css|5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi"
  "graphql-ws/umd/graphql-ws.min.js|graphql-ws.min.js|mxvR4Mzbsb6QVx/9xI2gtQikQA6m8zMDBFnu3l//4/ROsWt7y2sUGWd+/tYQqDm7"
)

# License texts shipped by the packages. @graphiql/plugin-explorer ships no
# LICENSE file (package.json says MIT; it lives in the graphql/graphiql
# monorepo like graphiql); its UMD build bundles graphiql-explorer.
licenses=(
  "react/LICENSE|react.LICENSE"
  "react-dom/LICENSE|react-dom.LICENSE"
  "js-cookie/LICENSE|js-cookie.LICENSE"
  "graphiql/LICENSE|graphiql.LICENSE"
  "@graphiql/plugin-explorer/node_modules/graphiql-explorer/LICENSE|graphiql-explorer.LICENSE"
  "graphql-ws/LICENSE.md|graphql-ws.LICENSE"
)

sha384() { openssl dgst -sha384 -binary "$1" | openssl base64 -A; }
version() { node -p "require('$nm/$1/package.json').version"; }

mkdir -p "$dest/licenses"
# Remove previously vendored files only (keep init.js / init.css).
for entry in "${files[@]}"; do IFS='|' read -r _ name _ <<<"$entry"; rm -f "$dest/$name"; done
rm -f "$dest"/licenses/*.LICENSE "$dest/VENDORED.txt"

manifest="$dest/VENDORED.txt"
{
  echo "Third-party browser files vendored by tools/graphiql/vendor.sh. Do not edit by hand."
  echo "Packages (npm, pinned in tools/graphiql/package-lock.json):"
  for pkg in react react-dom js-cookie graphiql @graphiql/plugin-explorer \
             @graphiql/plugin-explorer/node_modules/graphiql-explorer graphql-ws; do
    lic="$(node -p "require('$nm/$pkg/package.json').license")"
    echo "  ${pkg##*/node_modules/}@$(version "$pkg")  license: $lic"
  done
  echo "  (@graphiql/plugin-explorer ships no LICENSE file; see licenses/graphiql.LICENSE,"
  echo "   same graphql/graphiql monorepo. plugin-explorer.umd.js bundles graphiql-explorer.)"
  echo
  echo "file  bytes  sha384 (base64)  source"
} >"$manifest"

status=0
for entry in "${files[@]}"; do
  IFS='|' read -r src name want <<<"$entry"
  [[ -f "$nm/$src" ]] || { echo "vendor.sh: missing $nm/$src" >&2; exit 1; }
  cp "$nm/$src" "$dest/$name"
  got="$(sha384 "$dest/$name")"
  if [[ "$want" != "-" && "$got" != "$want" ]]; then
    echo "vendor.sh: sha384 mismatch for $name: got $got want $want" >&2
    status=1
  fi
  printf '%s  %s  %s  %s\n' "$name" "$(wc -c <"$dest/$name")" "$got" "$src" >>"$manifest"
done
for entry in "${licenses[@]}"; do
  IFS='|' read -r src name <<<"$entry"
  [[ -f "$nm/$src" ]] || { echo "vendor.sh: missing $nm/$src" >&2; exit 1; }
  cp "$nm/$src" "$dest/licenses/$name"
done

# The page must not reach out: flag absolute http(s) URLs in url(...) / @import.
if grep -Eo '(url\(|@import)[[:space:]]*["'\'']?(https?:)?//' "$dest"/*.css; then
  echo "vendor.sh: stylesheet references an external URL" >&2
  status=1
fi

echo "vendor.sh: vendored into $dest"
du -b "$dest"/*.js "$dest"/*.css | sort -n
du -sb "$dest" | awk '{print "total bytes:", $1}'
exit "$status"
