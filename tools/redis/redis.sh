#!/usr/bin/env bash
# Run a local Redis (Debian's redis-server), one per INSTANCE, each with its own
# config, data, pid and log under .local/redis/<instance>/.
#
#   redis.sh start  INSTANCE   install redis-server if needed, start, wait for PONG
#   redis.sh stop   INSTANCE   clean shutdown
#   redis.sh status INSTANCE   exit 0 if running, 3 if not
#   redis.sh url    INSTANCE   print the redis:// URL
#
# INSTANCE is dev (port 6379), test (port 6380) or bench (port 6381); SFM_REDIS_PORT
# overrides the port.
# No password: the server listens on 127.0.0.1 only and holds dev/test data
# (cache, rate limits), so loopback is the boundary; protected-mode stays on.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
START_TIMEOUT=${SFM_REDIS_START_TIMEOUT:-30}

die() { echo "redis.sh: $*" >&2; exit 1; }

usage() {
    echo "usage: $0 {start|stop|status|url} {dev|test|bench}" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
CMD=$1
INSTANCE=$2
case $INSTANCE in
    dev)  DEFAULT_PORT=6379 ;;
    test) DEFAULT_PORT=6380 ;;
    bench) DEFAULT_PORT=6381 ;;
    *)    usage ;;
esac
PORT=${SFM_REDIS_PORT:-$DEFAULT_PORT}
[[ $PORT =~ ^[0-9]+$ ]] || die "SFM_REDIS_PORT must be a port number, got '$PORT'"
D=$ROOT/.local/redis/$INSTANCE
PID_FILE=$D/redis.pid

ensure_redis() {
    command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && return 0
    "$ROOT/tools/apt-install.sh" redis-server ||
        die "could not install Debian's redis-server; install it by hand (apt-get install -y redis-server)"
    command -v redis-server >/dev/null 2>&1 || die "redis-server still not found after installing it"
}

# Our instance is running if our pid file names a live redis-server (redis
# sets its process title to 'redis-server 127.0.0.1:PORT'), so a stale pid
# file or a recycled pid is not mistaken for it.
running_pid() {
    local pid
    [[ -f $PID_FILE ]] || return 1
    pid=$(tr -dc '0-9' <"$PID_FILE")
    [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q '^redis-server ' || return 1
    echo "$pid"
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

ping() {
    [[ $(timeout 5 redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null) == PONG ]]
}

# Written on every start so that a port override or an edit here takes effect.
write_conf() {
    mkdir -p "$D"
    cat >"$D/redis.conf.tmp" <<EOF
# Written by tools/redis/redis.sh on every start; edits here are lost.
bind 127.0.0.1
protected-mode yes
port $PORT
daemonize yes
pidfile $PID_FILE
logfile $D/redis.log
dir $D
appendonly yes
appendfsync everysec
EOF
    mv "$D/redis.conf.tmp" "$D/redis.conf"
}

cmd_start() {
    local pid
    if pid=$(running_pid); then
        echo "redis $INSTANCE already running (pid $pid), redis://127.0.0.1:$PORT"
    else
        ensure_redis
        ! port_open || die "port $PORT is already in use by another process (set SFM_REDIS_PORT to use another)"
        write_conf
        # daemonize: redis forks and closes our stdio, so make/CI pipes are not held.
        redis-server "$D/redis.conf" </dev/null >/dev/null ||
            { tail -n 20 "$D/redis.log" >&2 || true; die "redis $INSTANCE failed to start"; }
    fi
    # PONG, not just an open port: while loading its AOF redis answers -LOADING.
    local deadline=$((SECONDS + START_TIMEOUT))
    until ping; do
        if ((SECONDS >= deadline)); then
            tail -n 20 "$D/redis.log" >&2 || true
            die "redis $INSTANCE did not answer PING on port $PORT within ${START_TIMEOUT}s"
        fi
        sleep 0.2
    done
    echo "redis $INSTANCE ready at redis://127.0.0.1:$PORT/0"
}

cmd_stop() {
    local pid
    if ! pid=$(running_pid); then
        echo "redis $INSTANCE is not running"
        return 0
    fi
    # SIGTERM is redis' clean shutdown (fsyncs the AOF, saves the RDB). By pid,
    # not 'redis-cli -p PORT shutdown': that could hit another instance when
    # SFM_REDIS_PORT differs from the port this one was started with.
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while [[ -e /proc/$pid ]]; do
        ((SECONDS < deadline)) || die "redis $INSTANCE (pid $pid) did not exit within 30s"
        sleep 0.2
    done
    echo "redis $INSTANCE stopped"
}

cmd_status() {
    local pid
    if pid=$(running_pid); then
        echo "redis $INSTANCE running (pid $pid), redis://127.0.0.1:$PORT"
        return 0
    fi
    echo "redis $INSTANCE not running"
    return 3
}

case $CMD in
    start)  cmd_start ;;
    stop)   cmd_stop ;;
    status) cmd_status ;;
    url)    echo "redis://127.0.0.1:$PORT/0" ;;
    *)      usage ;;
esac
