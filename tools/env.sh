#!/usr/bin/env bash
# Print, as `export` lines, the settings the app, the tests and the benchmarks
# need to reach the local services of INSTANCE. The one place that computes
# them; the Makefile loads them with:
#
#   env_lines=$(tools/env.sh test) && eval "$env_lines"
#
# NEO4J_URI in the environment selects an external Neo4j instead of the local
# one (with NEO4J_USER or NEO4J_USERNAME, default neo4j, and NEO4J_PASSWORD).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

[[ $# -eq 1 && ($1 == dev || $1 == test || $1 == bench) ]] || { echo "usage: $0 {dev|test|bench}" >&2; exit 2; }
INSTANCE=$1

if [[ -n ${NEO4J_URI:-} ]]; then
    neo4j_uri=$NEO4J_URI
    neo4j_user=${NEO4J_USER:-${NEO4J_USERNAME:-neo4j}}
    neo4j_password=${NEO4J_PASSWORD:-}
else
    neo4j_uri=$("$ROOT/tools/neo4j/neo4j.sh" uri "$INSTANCE")
    neo4j_user=neo4j
    neo4j_password=$("$ROOT/tools/neo4j/neo4j.sh" password "$INSTANCE")
fi
redis_url=$("$ROOT/tools/redis/redis.sh" url "$INSTANCE")

# %q quotes each value so that eval is safe whatever a password contains.
printf 'export SFM_NEO4J_URI=%q\n' "$neo4j_uri"
printf 'export SFM_NEO4J_USER=%q\n' "$neo4j_user"
printf 'export SFM_NEO4J_PASSWORD=%q\n' "$neo4j_password"
printf 'export SFM_REDIS_URL=%q\n' "$redis_url"
