#!/usr/bin/env bash
# Make sure FILE holds a /metrics scrape token for local use (generated once, 64 hex characters,
# mode 600) and print the export line that points the service at it. `make run` uses it so that
# /metrics can be looked at locally; production tokens come from the Secret (docs/observability.md).
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 FILE" >&2; exit 2; }
file=$1
if [[ ! -s $file ]]; then
    mkdir -p "$(dirname "$file")"
    (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$file.tmp" && mv "$file.tmp" "$file")
fi
chmod 600 "$file"
printf 'export SFM_METRICS_TOKEN_FILE=%q\n' "$(cd "$(dirname "$file")" && pwd)/$(basename "$file")"
