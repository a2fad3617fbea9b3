#!/usr/bin/env bash
# Install and run a local Neo4j Community server, one per INSTANCE, with no Docker
# and no tarball: the jars come from Maven Central (tools/neo4j/pom.xml) and each
# instance gets its own home under .local/neo4j/<instance>/.
#
#   neo4j.sh start    INSTANCE   fetch jars if needed, start, wait until Bolt answers
#   neo4j.sh stop     INSTANCE   clean shutdown
#   neo4j.sh status   INSTANCE   exit 0 if running, 3 if not
#   neo4j.sh password INSTANCE   print the instance's password (generated once)
#   neo4j.sh uri      INSTANCE   print the Bolt URI
#
# INSTANCE is dev (port 7687), test (port 7688), bench (port 7689, for bench/: its
# data is wiped by the benchmarks), outage (port 7690, small: the outage test kills
# and restarts it, so it must not be the test instance) or peer (port 7691: the Neo4j
# GraphQL Library's database in bench/peer_bench.py); SFM_NEO4J_PORT overrides the port.
# Any other name (lower-case letters, digits, dashes) is an instance with the bench
# instance's memory settings and no default port: SFM_NEO4J_PORT must give one.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
POM=$ROOT/tools/neo4j/pom.xml
BASE=$ROOT/.local/neo4j
LIB=$BASE/lib                        # shared by all instances (~116 MB)
LIB_MARKER=$LIB/.complete            # written last: a half-done download has none
START_TIMEOUT=${SFM_NEO4J_START_TIMEOUT:-90}

die() { echo "neo4j.sh: $*" >&2; exit 1; }

usage() {
    echo "usage: $0 {start|stop|status|password|uri} {dev|test|bench|outage|peer|NAME}" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
CMD=$1
INSTANCE=$2
HEAP_INITIAL=512m
HEAP_MAX=1g
WITH_APOC=no
case $INSTANCE in
    dev)  DEFAULT_PORT=7687; PAGECACHE=512m ;;
    test) DEFAULT_PORT=7688; PAGECACHE=256m ;;
    bench) DEFAULT_PORT=7689; PAGECACHE=512m ;;
    outage) DEFAULT_PORT=7690; PAGECACHE=32m; HEAP_INITIAL=256m; HEAP_MAX=512m ;;
    # The peer's database gets the bench instance's memory, so the two compare fairly, and
    # APOC core, which the Neo4j GraphQL Library needs (it formats temporal values with it).
    peer) DEFAULT_PORT=7691; PAGECACHE=512m; WITH_APOC=yes ;;
    *)
        [[ $INSTANCE =~ ^[a-z][a-z0-9-]{0,31}$ ]] || usage
        DEFAULT_PORT=; PAGECACHE=512m ;;
esac
# Memory overrides, e.g. for the 100k tier of bench/analytics.py (docs/benchmarks.md); they
# take effect at the next start, since the configuration is written on every start.
HEAP_INITIAL=${SFM_NEO4J_HEAP_INITIAL:-$HEAP_INITIAL}
HEAP_MAX=${SFM_NEO4J_HEAP_MAX:-$HEAP_MAX}
PAGECACHE=${SFM_NEO4J_PAGECACHE:-$PAGECACHE}
for size in "$HEAP_INITIAL" "$HEAP_MAX" "$PAGECACHE"; do
    [[ $size =~ ^[0-9]+[kmg]$ ]] || die "memory sizes look like 512m or 2g, got '$size'"
done
PORT=${SFM_NEO4J_PORT:-$DEFAULT_PORT}
[[ -n $PORT ]] || die "instance '$INSTANCE' has no default port: set SFM_NEO4J_PORT"
[[ $PORT =~ ^[0-9]+$ ]] || die "SFM_NEO4J_PORT must be a port number, got '$PORT'"
H=$BASE/$INSTANCE                    # NEO4J_HOME of this instance
PASSWORD_FILE=$H/password
PID_FILE=$H/run/neo4j.pid

# ---------------------------------------------------------------- prerequisites

require_java() {
    command -v java >/dev/null 2>&1 ||
        die "java not found: install a JDK 17 or 21 (Debian: apt-get install -y openjdk-17-jre-headless)"
    # Neo4j 5.26 runs on Java 17 or 21 only; say so instead of a cryptic JVM error.
    local v
    v=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    [[ ${v%%.*} -ge 17 ]] 2>/dev/null ||
        die "java $v is too old: Neo4j 5.26 needs Java 17 or 21 (Debian: openjdk-17-jre-headless)"
}

# Fills .local/neo4j/lib once. Downloads into a temp dir and renames it into
# place, so an interrupted download is never taken for a complete one. The
# marker holds a hash of the pom, so a Neo4j version bump fetches again.
ensure_lib() {
    local want
    want=$(sha256sum "$POM" | cut -d' ' -f1)
    [[ -f $LIB_MARKER && $(cat "$LIB_MARKER") == "$want" ]] && return 0

    command -v mvn >/dev/null 2>&1 ||
        die "mvn not found: it fetches the Neo4j jars from Maven Central (Debian: apt-get install -y maven)"
    mkdir -p "$BASE"
    # dev and test may be started at the same time: one fetch, the other waits.
    exec 9>"$BASE/.lib.lock"
    flock 9
    if [[ -f $LIB_MARKER && $(cat "$LIB_MARKER") == "$want" ]]; then
        exec 9>&-
        return 0
    fi
    echo "neo4j.sh: fetching Neo4j jars from Maven Central into $LIB (~116 MB, once)" >&2
    # Leftovers of an interrupted fetch are safe to drop: we hold the lock.
    rm -rf "$BASE"/lib.tmp.*
    local tmp=$BASE/lib.tmp.$$
    # Maven's output goes to a log: even -q prints colour codes on success.
    if ! mvn -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
            -DincludeScope=runtime -DoutputDirectory="$tmp" >"$BASE/mvn.log" 2>&1; then
        tail -n 40 "$BASE/mvn.log" >&2
        rm -rf "$tmp"
        die "mvn could not fetch the Neo4j jars (full log: $BASE/mvn.log)"
    fi
    compgen -G "$tmp/neo4j-server-*.jar" >/dev/null || { rm -rf "$tmp"; die "mvn fetched no neo4j-server jar"; }
    echo "$want" >"$tmp/.complete"
    rm -rf "$LIB"
    mv "$tmp" "$LIB"
    exec 9>&-
}

# APOC core of the Neo4j version (apoc-core and the apoc-common it needs) into the instance's
# plugins folder, fetched once.
ensure_apoc() {
    local version dir artifact
    version=$(sed -n 's:.*<neo4j.version>\(.*\)</neo4j.version>.*:\1:p' "$POM")
    dir=$BASE/apoc-$version
    if [[ ! -f $dir/.complete ]]; then
        echo "neo4j.sh: fetching APOC core $version from Maven Central" >&2
        rm -rf "$dir.tmp"
        for artifact in apoc-core apoc-common; do
            if ! mvn -B -Dstyle.color=never dependency:copy \
                    "-Dartifact=org.neo4j.procedure:$artifact:$version:jar" \
                    -DoutputDirectory="$dir.tmp" >"$BASE/mvn-apoc.log" 2>&1; then
                tail -n 20 "$BASE/mvn-apoc.log" >&2
                rm -rf "$dir.tmp"
                die "mvn could not fetch $artifact $version (full log: $BASE/mvn-apoc.log)"
            fi
        done
        touch "$dir.tmp/.complete"
        rm -rf "$dir"
        mv "$dir.tmp" "$dir"
    fi
    rm -rf "$H/plugins"
    mkdir -p "$H/plugins"
    ln -s "$dir"/*.jar "$H/plugins/"
}

# --------------------------------------------------------------- instance home

ensure_password() {
    [[ -s $PASSWORD_FILE ]] && return 0
    # A password can only be set before the first start; without the file the
    # existing database is locked to a password nobody knows.
    [[ ! -d $H/data/databases/system ]] ||
        die "$PASSWORD_FILE is missing but $H/data already exists; run 'make clean-local' (or delete $H/data) to start afresh"
    mkdir -p "$H"
    local pw
    if command -v openssl >/dev/null 2>&1; then
        pw=$(openssl rand -hex 16)
    else
        pw=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    fi
    (umask 077 && printf '%s\n' "$pw" >"$PASSWORD_FILE.tmp")
    mv "$PASSWORD_FILE.tmp" "$PASSWORD_FILE"
}

read_password() {
    [[ -s $PASSWORD_FILE ]] || die "no password yet for '$INSTANCE': run '$0 start $INSTANCE' first"
    head -n1 "$PASSWORD_FILE"
}

# Written on every start so that a port override or an edit here takes effect.
write_conf() {
    mkdir -p "$H/conf" "$H/import"
    ln -sfn "$LIB" "$H/lib"
    cat >"$H/conf/neo4j.conf.tmp" <<EOF
# Written by tools/neo4j/neo4j.sh on every start; edits here are lost.
# Loopback only: this server is for local development and tests.
server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.listen_address=127.0.0.1:$PORT
server.bolt.advertised_address=127.0.0.1:$PORT
# Bolt is all the app uses; no HTTP API, no browser.
server.http.enabled=false
server.https.enabled=false

# Sized for a 2-core / 24 GiB machine that runs dev and test side by side.
server.memory.heap.initial_size=$HEAP_INITIAL
server.memory.heap.max_size=$HEAP_MAX
server.memory.pagecache.size=$PAGECACHE

# No phoning home: the machine has no internet, and we don't want it to try.
dbms.usage_report.enabled=false

# Keep transaction logs small; these databases are disposable.
db.tx_log.rotation.retention_policy=1 files
db.tx_log.rotation.size=32M

# LOAD CSV may read only from the instance's own import folder.
server.directories.import=import

# JVM flags from Neo4j's stock neo4j.conf: without the add-opens the page cache
# and transaction log fall back to slower paths (warnings in debug.log).
server.jvm.additional=-XX:+UseG1GC
server.jvm.additional=-XX:-OmitStackTraceInFastThrow
server.jvm.additional=-XX:+UnlockExperimentalVMOptions
server.jvm.additional=-XX:+TrustFinalNonStaticFields
server.jvm.additional=-XX:+DisableExplicitGC
server.jvm.additional=-Djdk.nio.maxCachedBufferSize=1024
server.jvm.additional=-Dio.netty.tryReflectionSetAccessible=true
server.jvm.additional=-Djdk.tls.ephemeralDHKeySize=2048
server.jvm.additional=-Djdk.tls.rejectClientInitiatedRenegotiation=true
server.jvm.additional=--add-opens=java.base/java.nio=ALL-UNNAMED
server.jvm.additional=--add-opens=java.base/java.io=ALL-UNNAMED
server.jvm.additional=--add-opens=java.base/sun.nio.ch=ALL-UNNAMED
server.jvm.additional=-Dlog4j2.disable.jmx=true
EOF
    mv "$H/conf/neo4j.conf.tmp" "$H/conf/neo4j.conf"
}

# Runs one of Neo4j's Java entry points against this instance's home.
neo4j_java() {
    NEO4J_HOME=$H NEO4J_CONF=$H/conf java -cp "$H/lib/*" "$@"
}

# ------------------------------------------------------------------- liveness

# Our own check (no JVM start, so it is instant): the pid file names a live
# process that is a Neo4j of this very home, so a recycled pid is not mistaken.
running_pid() {
    local pid
    [[ -f $PID_FILE ]] || return 1
    pid=$(tr -dc '0-9' <"$PID_FILE")
    [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--home-dir=$H " || return 1
    echo "$pid"
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

# A real Bolt handshake in plain bash: magic 6060B017 plus four version
# proposals (5.0-5.8, 4.4-4.2); a non-zero reply is the version the server chose.
bolt_handshake() {
    local reply
    # shellcheck disable=SC2016  # $1 expands in the inner bash, on purpose
    reply=$(timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "\x60\x60\xb0\x17\x00\x08\x08\x05\x00\x02\x04\x04\x00\x00\x00\x00\x00\x00\x00\x00" >&3
        head -c4 <&3 | od -An -tx1' _ "$PORT" 2>/dev/null) || return 1
    reply=$(tr -d ' \n' <<<"$reply")
    [[ ${#reply} -eq 8 && $reply != 00000000 ]]
}

# When the project venv has the driver, also log in and run a query: that is
# the readiness the app needs (auth works, default database online).
driver_ready() {
    local py=$ROOT/.venv/bin/python
    [[ -x $py ]] || return 0
    "$py" -c 'import neo4j' 2>/dev/null || return 0
    SFM_PROBE_URI="bolt://127.0.0.1:$PORT" SFM_PROBE_PASSWORD=$(read_password) \
        timeout 15 "$py" - <<'EOF' >/dev/null 2>&1
import os
from neo4j import GraphDatabase
auth = ("neo4j", os.environ["SFM_PROBE_PASSWORD"])
with GraphDatabase.driver(os.environ["SFM_PROBE_URI"], auth=auth) as driver:
    driver.execute_query("RETURN 1")
EOF
}

show_logs() {
    local f
    for f in "$H/logs/start.out" "$H/logs/neo4j.log" "$H/logs/debug.log"; do
        [[ -s $f ]] || continue
        echo "----- tail of $f" >&2
        tail -n 40 "$f" >&2
    done
}

# -------------------------------------------------------------------- commands

cmd_start() {
    local pid
    if pid=$(running_pid); then
        echo "neo4j $INSTANCE already running (pid $pid), bolt://127.0.0.1:$PORT"
    else
        require_java
        ensure_lib
        # Something else on our port would make Neo4j fail with a bind error
        # only in its log; say it plainly instead.
        ! port_open || die "port $PORT is already in use by another process (set SFM_NEO4J_PORT to use another)"
        ensure_password
        write_conf
        [[ $WITH_APOC == no ]] || ensure_apoc
        mkdir -p "$H/logs" "$H/run"
        if [[ ! -d $H/data/databases/system ]]; then
            # Only possible before the very first start; later it would be ignored.
            neo4j_java org.neo4j.cli.AdminTool dbms set-initial-password "$(read_password)" \
                >"$H/logs/set-password.out" 2>&1 ||
                { cat "$H/logs/set-password.out" >&2; die "could not set the initial password"; }
        fi
        # Neo4j recommends 40000 open files; take as many as the hard limit allows.
        ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
        # 'start' forks the server JVM and returns; its output goes to a file so
        # no pipe of the caller (make, CI) is held open by the daemon.
        if ! neo4j_java org.neo4j.server.startup.Neo4jCommand start \
                </dev/null >"$H/logs/start.out" 2>&1; then
            show_logs
            die "neo4j $INSTANCE failed to start"
        fi
        echo "neo4j $INSTANCE starting (pid $(cat "$PID_FILE" 2>/dev/null || echo '?')) on port $PORT"
    fi
    wait_ready
}

wait_ready() {
    local deadline=$((SECONDS + START_TIMEOUT)) bolt_up=no
    while ((SECONDS < deadline)); do
        if ! running_pid >/dev/null; then
            show_logs
            die "neo4j $INSTANCE exited during startup"
        fi
        if bolt_handshake; then
            bolt_up=yes
            if driver_ready; then
                echo "neo4j $INSTANCE ready at neo4j://127.0.0.1:$PORT (user neo4j, password in $PASSWORD_FILE)"
                return 0
            fi
        fi
        sleep 1
    done
    show_logs
    if [[ $bolt_up == yes ]]; then
        die "neo4j $INSTANCE answers on Bolt port $PORT, but logging in with $PASSWORD_FILE and running 'RETURN 1' kept failing for ${START_TIMEOUT}s"
    fi
    die "neo4j $INSTANCE did not answer on Bolt port $PORT within ${START_TIMEOUT}s"
}

cmd_stop() {
    local pid
    if ! pid=$(running_pid); then
        echo "neo4j $INSTANCE is not running"
        return 0
    fi
    require_java
    # Clean shutdown (checkpoint), so the next start needs no recovery.
    if ! neo4j_java org.neo4j.server.startup.Neo4jCommand stop </dev/null >"$H/logs/stop.out" 2>&1; then
        cat "$H/logs/stop.out" >&2
        die "neo4j $INSTANCE did not stop cleanly (pid $pid)"
    fi
    echo "neo4j $INSTANCE stopped"
}

cmd_status() {
    local pid
    if pid=$(running_pid); then
        echo "neo4j $INSTANCE running (pid $pid), bolt://127.0.0.1:$PORT"
        return 0
    fi
    echo "neo4j $INSTANCE not running"
    return 3
}

case $CMD in
    start)    cmd_start ;;
    stop)     cmd_stop ;;
    status)   cmd_status ;;
    password) read_password ;;
    uri)      echo "neo4j://127.0.0.1:$PORT" ;;
    *)        usage ;;
esac
