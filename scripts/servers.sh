#!/usr/bin/env bash
# Local Redis + FerretDB (MongoDB wire protocol) over PostgreSQL, for tests, development and
# benchmarks of the scaled backend.
#
#   bash scripts/servers.sh start|stop|status|env|restart-redis|install
#
#   start          install what is missing, then start the servers (no-op for one already up)
#   stop           stop them (tolerates servers already stopped)
#   status         print which server is up
#   env            print export lines: eval "$(bash scripts/servers.sh env)"
#   restart-redis  stop and start Redis only, on the same port (for reconnection tests)
#   install        only install Redis and PostgreSQL, and build FerretDB, where missing
#
# Everything lives under .servers/ in the repository (gitignored): the FerretDB binary, a
# PostgreSQL cluster of its own (initdb, loopback only, no system service), pid files and logs.
# Ports: REDIS_PORT (default 6390), FERRET_PORT (default 27027), PG_PORT (default 5440).
#
# FerretDB runs on PostgreSQL, not on its SQLite handler: on SQLite, two instances at 50 msg/s
# delivered half the messages with seconds of delay; on PostgreSQL the same load at 200 msg/s
# arrives in well under a second. The cluster is tuned for throwaway test data (fsync off).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVERS_DIR="$ROOT/.servers"
BIN_DIR="$SERVERS_DIR/bin"
REDIS_PORT="${REDIS_PORT:-6390}"
FERRET_PORT="${FERRET_PORT:-27027}"
FERRET_VERSION="1.24.2"
FERRET_BIN="$BIN_DIR/ferretdb"
FERRET_STATE="$SERVERS_DIR/ferretdb-$FERRET_PORT"
PG_PORT="${PG_PORT:-5440}"
PG_DATA="$SERVERS_DIR/pg-$PG_PORT"
PG_LOG="$SERVERS_DIR/pg-$PG_PORT.log"
PG_DB="ferretdb"
PG_USER="postgres"
REDIS_PID="$SERVERS_DIR/redis-$REDIS_PORT.pid"
REDIS_LOG="$SERVERS_DIR/redis-$REDIS_PORT.log"
FERRET_PID="$SERVERS_DIR/ferretdb-$FERRET_PORT.pid"
FERRET_LOG="$SERVERS_DIR/ferretdb-$FERRET_PORT.log"
WAIT_SECONDS="${SERVERS_WAIT_SECONDS:-30}"

log() { echo "servers: $*" >&2; }
die() {
  echo "servers: ERROR: $*" >&2
  exit 1
}

# as_root, apt_install, apt_install_no_start, port_in_use
# shellcheck source=lib.sh
source "$ROOT/scripts/lib.sh"

# ---------------------------------------------------------------------------------------- install
install_redis() {
  if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
    return 0
  fi
  log "installing redis-server from Debian"
  apt_install redis-server
  command -v redis-server >/dev/null 2>&1 || die "redis-server still missing after install"
}

# Go >= 1.21 fetches the Go version a module asks for by itself (GOTOOLCHAIN=auto). An older Go
# (Debian bookworm's golang-go is 1.19) fetches that toolchain, itself a module on the Go module
# proxy, with `go mod download`, which is what GOTOOLCHAIN=auto does.
FERRET_GO="go1.24.3"
GO_TOOLCHAIN=auto
find_go() {
  if ! command -v go >/dev/null 2>&1; then
    if [ -x /usr/local/go/bin/go ]; then
      export PATH="/usr/local/go/bin:$PATH"
    else
      log "installing the Go toolchain from Debian"
      apt_install golang-go ca-certificates
      command -v go >/dev/null 2>&1 || die "go still missing after install"
    fi
  fi
  local minor
  minor="$(go env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
  if [ -n "$minor" ] && [ "$minor" -ge 21 ]; then
    return 0
  fi
  local arch tmp dir
  case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "no Go >= 1.21 and no known toolchain for $(uname -m)" ;;
  esac
  log "$(go version | awk '{print $3}') is too old; fetching $FERRET_GO from the Go module proxy"
  tmp="$(mktemp -d)"
  dir="$(cd "$tmp" && go mod init x >/dev/null 2>&1 &&
    go mod download -json "golang.org/toolchain@v0.0.1-$FERRET_GO.linux-$arch" |
    sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p' | head -n1)"
  rm -rf "$tmp"
  [ -n "$dir" ] && [ -f "$dir/bin/go" ] || die "could not fetch the Go toolchain $FERRET_GO"
  # The module cache keeps files read-only and without execute bits: use a copy under .servers/.
  local goroot="$SERVERS_DIR/toolchain/$FERRET_GO"
  if [ ! -x "$goroot/bin/go" ]; then
    rm -rf "$goroot"
    mkdir -p "$(dirname "$goroot")"
    cp -R "$dir" "$goroot"
    chmod -R u+w "$goroot"
    chmod +x "$goroot"/bin/* "$goroot"/pkg/tool/*/*
  fi
  export PATH="$goroot/bin:$PATH" GOROOT="$goroot"
  GO_TOOLCHAIN=local
}

install_ferretdb() {
  if [ -x "$FERRET_BIN" ]; then
    return 0
  fi
  find_go
  mkdir -p "$BIN_DIR"
  # `go install ...@version` does not work here: it asks the module proxy for the module's
  # version list (deprecation check), which is refused. Downloading the exact version and
  # building it as its own main module works, with the module's own go.mod and go.sum.
  # GOTOOLCHAIN=auto: a local Go older than the module's `go` line fetches the one it asks for.
  local t0 tmp json dir src
  t0=$(date +%s)
  log "building FerretDB v$FERRET_VERSION with $(go version | awk '{print $3}') (a few minutes on a cold Go cache)"
  tmp="$(mktemp -d)"
  (
    cd "$tmp"
    export GOTOOLCHAIN="${FERRET_GOTOOLCHAIN:-$GO_TOOLCHAIN}" GOFLAGS="-buildvcs=false"
    go mod init x >/dev/null 2>&1
    go mod download -json "github.com/FerretDB/FerretDB@v$FERRET_VERSION" >"$tmp/dl.json"
  ) || {
    rm -rf "$tmp"
    die "go mod download of FerretDB v$FERRET_VERSION failed"
  }
  json="$(cat "$tmp/dl.json")"
  rm -rf "$tmp"
  dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p' | head -n1)"
  [ -n "$dir" ] && [ -d "$dir" ] || die "could not find the downloaded FerretDB source (go mod download said: $json)"
  # The module zip lacks the generated build/version/version.txt, and a binary built as the main
  # module without it panics at start ("Invalid build/version/version.txt"). Build a writable
  # copy with that file written, as FerretDB's own `bin/task gen-version` would.
  src="$SERVERS_DIR/src/ferretdb-$FERRET_VERSION"
  rm -rf "$src"
  mkdir -p "$(dirname "$src")"
  cp -R "$dir" "$src"
  chmod -R u+w "$src"
  printf 'v%s\n' "$FERRET_VERSION" >"$src/build/version/version.txt"
  (
    cd "$src"
    export GOTOOLCHAIN="${FERRET_GOTOOLCHAIN:-$GO_TOOLCHAIN}" GOFLAGS="-buildvcs=false"
    go build -trimpath -o "$FERRET_BIN.tmp" ./cmd/ferretdb
  ) || {
    rm -f "$FERRET_BIN.tmp"
    die "building FerretDB failed"
  }
  "$FERRET_BIN.tmp" --version >/dev/null 2>&1 || die "the FerretDB just built does not run: $("$FERRET_BIN.tmp" --version 2>&1 | head -n 5)"
  mv -f "$FERRET_BIN.tmp" "$FERRET_BIN"
  log "FerretDB built in $(($(date +%s) - t0)) s: $FERRET_BIN"
}

# Debian's postgresql package would create and start a system cluster from its postinst; a
# policy-rc.d answering 101 forbids that service start (we run a cluster of our own).
pg_bin_dir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
  [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && echo "$d"
}
install_postgres() {
  if pg_bin_dir >/dev/null; then
    return 0
  fi
  log "installing postgresql from Debian"
  apt_install_no_start postgresql || die "installing postgresql failed"
  pg_bin_dir >/dev/null || die "initdb/pg_ctl still missing after installing postgresql"
}

do_install() {
  install_redis
  install_postgres
  install_ferretdb
}

# --------------------------------------------------------------------------------------- running
pid_alive() { # pidfile
  local pid
  [ -f "$1" ] || return 1
  pid="$(cat "$1" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

port_open() { port_in_use "$1"; }

redis_up() {
  [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true)" = "PONG" ]
}

ferret_up() {
  pid_alive "$FERRET_PID" && port_open "$FERRET_PORT"
}

wait_for() { # name check-function logfile pidfile
  local name="$1" check="$2" logfile="$3" pidfile="$4" i
  for ((i = 0; i < WAIT_SECONDS * 5; i++)); do
    if "$check"; then
      return 0
    fi
    if [ "$i" -ge 5 ] && ! pid_alive "$pidfile"; then
      echo "servers: ERROR: $name exited at start; last lines of $logfile:" >&2
      tail -n 30 "$logfile" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.2
  done
  echo "servers: ERROR: $name did not answer within ${WAIT_SECONDS}s; last lines of $logfile:" >&2
  tail -n 30 "$logfile" >&2 2>/dev/null || true
  exit 1
}

start_redis() {
  if redis_up; then
    log "redis already up on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  if port_open "$REDIS_PORT"; then
    die "port $REDIS_PORT is taken by something that is not Redis (set REDIS_PORT)"
  fi
  mkdir -p "$SERVERS_DIR"
  rm -f "$REDIS_PID"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" --dir "$SERVERS_DIR" >/dev/null
  wait_for "redis" redis_up "$REDIS_LOG" "$REDIS_PID"
  log "redis up on 127.0.0.1:$REDIS_PORT"
}

# PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user, who must
# own the data directory and be able to reach it. When it cannot reach .servers/ (a checkout in a
# home directory closed to others), the cluster lives in a temporary directory instead.
pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$PG_USER" -- "$@"
  else
    "$@"
  fi
}
pg_resolve_data() {
  if [ "$(id -u)" -eq 0 ]; then
    id "$PG_USER" >/dev/null 2>&1 || die "no '$PG_USER' user to run PostgreSQL as (install postgresql)"
    mkdir -p "$SERVERS_DIR"
    if ! runuser -u "$PG_USER" -- test -x "$SERVERS_DIR"; then
      PG_DATA="${TMPDIR:-/tmp}/roomchat-pg-$PG_PORT"
      PG_LOG="$PG_DATA.log"
    fi
  fi
}
pg_up() {
  local bin
  bin="$(pg_bin_dir)" || return 1
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d "$PG_DB" -U "$PG_USER" 2>/dev/null
}
pg_running() { # the server of our data directory (not just anything on the port)
  local bin
  bin="$(pg_bin_dir)" || return 1
  [ -f "$PG_DATA/postmaster.pid" ] && pg_as_owner "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

start_pg() {
  local bin
  bin="$(pg_bin_dir)" || die "PostgreSQL is not installed (bash scripts/servers.sh install)"
  pg_resolve_data
  if pg_running && pg_up; then
    log "postgresql already up on 127.0.0.1:$PG_PORT"
    return 0
  fi
  if port_open "$PG_PORT"; then
    die "port $PG_PORT is taken by another process (set PG_PORT)"
  fi
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    rm -rf "$PG_DATA"
    mkdir -p "$PG_DATA"
    [ "$(id -u)" -eq 0 ] && chown "$PG_USER" "$PG_DATA"
    chmod 700 "$PG_DATA"
    pg_as_owner "$bin/initdb" -D "$PG_DATA" -A trust -U "$PG_USER" -E UTF8 --no-locale --no-sync >"$PG_LOG.initdb" 2>&1 ||
      die "initdb failed: $(tail -n 20 "$PG_LOG.initdb")"
    # Loopback only, no Unix socket; throwaway test data, so durability is traded for speed.
    cat >>"$PG_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 300
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  fi
  touch "$PG_LOG"
  [ "$(id -u)" -eq 0 ] && chown "$PG_USER" "$PG_LOG"
  # setsid: the server outlives this script and the terminal or CI step that started it.
  pg_as_owner setsid "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$WAIT_SECONDS" start >/dev/null 2>&1 || {
    echo "servers: ERROR: postgresql did not start; last lines of $PG_LOG:" >&2
    tail -n 30 "$PG_LOG" >&2 || true
    exit 1
  }
  if [ -z "$("$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" ]; then
    "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$PG_DB" || die "createdb $PG_DB failed"
  fi
  log "postgresql up on 127.0.0.1:$PG_PORT"
}

stop_pg() {
  local bin
  bin="$(pg_bin_dir)" || return 0
  pg_resolve_data
  if ! pg_running; then
    log "postgresql not running"
    return 0
  fi
  pg_as_owner "$bin/pg_ctl" -D "$PG_DATA" -m fast -w -t 20 stop >/dev/null 2>&1 ||
    pg_as_owner "$bin/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
  log "postgresql stopped"
}

start_ferret() {
  if ferret_up; then
    log "ferretdb already up on 127.0.0.1:$FERRET_PORT"
    return 0
  fi
  if port_open "$FERRET_PORT"; then
    die "port $FERRET_PORT is taken by another process (set FERRET_PORT)"
  fi
  mkdir -p "$FERRET_STATE"
  rm -f "$FERRET_PID"
  # setsid + nohup: the server outlives this script and the terminal or CI step that started it.
  # A state directory and no debug listener of its own, so several FerretDBs run side by side.
  # FerretDB holds a pooled PostgreSQL connection across the steps of one command (creating a
  # database and its indexes acquires a second), and its pool of 50 ran dry under many test
  # processes at once, after which every command, ping included, waited forever. A pool of 200
  # (PostgreSQL allows 300) leaves room.
  (
    cd "$FERRET_STATE"
    setsid nohup "$FERRET_BIN" --handler=postgresql \
      --postgresql-url="postgres://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB?pool_max_conns=200" \
      --listen-addr="127.0.0.1:$FERRET_PORT" --telemetry=disable --log-level=warn \
      --state-dir="$FERRET_STATE" --debug-addr=- \
      </dev/null >>"$FERRET_LOG" 2>&1 &
    echo $! >"$FERRET_PID"
  )
  wait_for "ferretdb" ferret_up "$FERRET_LOG" "$FERRET_PID"
  log "ferretdb up on 127.0.0.1:$FERRET_PORT"
}

stop_pidfile() { # name pidfile
  local name="$1" pidfile="$2" pid i
  if ! pid_alive "$pidfile"; then
    rm -f "$pidfile"
    log "$name not running"
    return 0
  fi
  pid="$(cat "$pidfile")"
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) ignored SIGTERM for 10 s; killing it"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  log "$name stopped"
}

stop_redis() {
  if ! pid_alive "$REDIS_PID" && redis_up; then
    # Up without our pid file (e.g. the file was removed): ask it to go.
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
  stop_pidfile redis "$REDIS_PID"
}

stop_ferret() {
  stop_pidfile ferretdb "$FERRET_PID"
}

status() {
  local rc=0
  if redis_up; then
    echo "redis: up on 127.0.0.1:$REDIS_PORT"
  else
    echo "redis: down (port $REDIS_PORT)"
    rc=3
  fi
  pg_resolve_data
  if pg_up; then
    echo "postgresql: up on 127.0.0.1:$PG_PORT"
  else
    echo "postgresql: down (port $PG_PORT)"
    rc=3
  fi
  if ferret_up; then
    echo "ferretdb: up on 127.0.0.1:$FERRET_PORT"
  else
    echo "ferretdb: down (port $FERRET_PORT)"
    rc=3
  fi
  return "$rc"
}

print_env() {
  echo "export MONGODB_URL=mongodb://127.0.0.1:$FERRET_PORT/roomchat"
  echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
}

usage() {
  echo "usage: bash scripts/servers.sh start|stop|status|env|restart-redis|install" >&2
  exit 2
}

# Sourced (scripts/validate-deploy.sh borrows find_go): define the functions, run nothing.
if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  return 0
fi

case "${1:-}" in
start)
  do_install
  start_redis
  start_pg
  start_ferret
  ;;
stop)
  stop_ferret
  stop_pg
  stop_redis
  ;;
status) status ;;
env) print_env ;;
restart-redis)
  install_redis
  stop_redis
  start_redis
  ;;
install) do_install ;;
*) usage ;;
esac
