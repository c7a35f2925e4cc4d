#!/usr/bin/env bash
# infra/services.sh up|down|status|test-tools
#
# Starts, stops or reports the two services SpikeSweep needs, on loopback only:
#   - Redis (Debian's redis-server) with its own config, AOF on, maxmemory-policy noeviction;
#   - a MongoDB-wire server: `mongod` when it is on PATH, else FerretDB v1.24.0 with its SQLite
#     backend; FerretDB on a private PostgreSQL cluster only when asked for
#     (SPIKESWEEP_MONGO_BACKEND=ferretdb-postgresql).
#
# The backend is never swapped silently: once a data dir has held one backend, `up` starts that
# same backend again or fails with the reason (a backend that does not start, or a missing
# FerretDB binary that cannot be built, is an error, never a fallback to another, empty database).
#
# `up` installs what is missing (as root: `apt-get update` once, only when a package is missing),
# is a no-op when both services already answer, and waits until both do. `down` stops only the
# processes `up` started (their pids are recorded in the data dir). Logs go to the data dir.
# `test-tools` installs what the test suite needs beyond the services (Debian's chromium, poppler's pdftotext, and
# the Python venv .venv/ with infra/requirements-test.txt and the device SDK).
#
# Environment (all optional):
#   SPIKESWEEP_DATA_DIR     data, pid and log files        default <repo>/.data/services
#   REDIS_PORT              Redis port                      default 6379
#   MONGO_PORT              MongoDB-wire port               default 27017
#   POSTGRES_PORT           private PostgreSQL (fallback)   default 54329
#   SPIKESWEEP_MONGO_BACKEND  auto | mongod | ferretdb-sqlite | ferretdb-postgresql   default auto
#   GOPATH                  FerretDB binary cached in $GOPATH/bin/ferretdb   default $HOME/go
#   SPIKESWEEP_REDIS_PASSWORD   Redis `requirepass` (clients: redis://:PASSWORD@127.0.0.1:PORT)  default none
#   SPIKESWEEP_MONGO_USER, SPIKESWEEP_MONGO_PASSWORD   FerretDB with authentication on and this
#                           user (clients: mongodb://USER:PASSWORD@127.0.0.1:PORT/?authSource=admin)  default none
# Passwords never appear on a command line (redis-cli reads REDISCLI_AUTH, FerretDB
# FERRETDB_SETUP_PASSWORD, the ping reads its URL from the environment); redis.conf is mode 0600.
set -euo pipefail

readonly REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly DATA_DIR="${SPIKESWEEP_DATA_DIR:-$REPO_DIR/.data/services}"
readonly REDIS_PORT="${REDIS_PORT:-6379}"
readonly MONGO_PORT="${MONGO_PORT:-27017}"
readonly POSTGRES_PORT="${POSTGRES_PORT:-54329}"
readonly MONGO_BACKEND="${SPIKESWEEP_MONGO_BACKEND:-auto}"
readonly FERRETDB_VERSION="v1.24.0"
readonly FERRETDB_MODULE="github.com/FerretDB/FerretDB"
readonly FERRETDB_BIN="${GOPATH:-$HOME/go}/bin/ferretdb"
readonly FALLBACK_GOTOOLCHAIN="go1.22.12"
readonly START_TIMEOUT_S=30
readonly REDIS_PASSWORD="${SPIKESWEEP_REDIS_PASSWORD:-}"
readonly MONGO_USER="${SPIKESWEEP_MONGO_USER:-}"
readonly MONGO_PASSWORD="${SPIKESWEEP_MONGO_PASSWORD:-}"
[[ -n $REDIS_PASSWORD ]] && export REDISCLI_AUTH="$REDIS_PASSWORD"
if [[ -n $MONGO_USER || -n $MONGO_PASSWORD ]] && [[ -z $MONGO_USER || -z $MONGO_PASSWORD ]]; then
  printf 'services: error: set both SPIKESWEEP_MONGO_USER and SPIKESWEEP_MONGO_PASSWORD, or neither\n' >&2
  exit 1
fi

readonly REDIS_DIR="$DATA_DIR/redis"
readonly MONGO_DIR="$DATA_DIR/mongo"
readonly POSTGRES_DIR="$DATA_DIR/postgres"

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# process bookkeeping

# pid_alive PIDFILE NAME: the pid recorded in PIDFILE runs and its command line contains NAME
# (so a recycled pid of an unrelated process is never mistaken for ours).
pid_alive() {
  local pidfile=$1 name=$2 pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *"$name"* ]]
}

# pid_starting PIDFILE: the process just spawned still exists and has not exited (is no zombie)
# though pid_alive does not recognise it yet: until it has exec'd its program its command line
# is this script's, and while it execs /proc/PID/cmdline may read empty. Only wait_for uses it,
# right after spawn, so the pid cannot belong to another process yet.
pid_starting() {
  local pidfile=$1 pid stat
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  # the state is the field after the command name in parentheses (which may contain spaces)
  stat=${stat##*) }
  [[ -n $stat && ${stat%% *} != Z && ${stat%% *} != X ]]
}

# stop_pid PIDFILE NAME: SIGTERM, wait up to 15 s, then SIGKILL; removes the pidfile.
stop_pid() {
  local pidfile=$1 name=$2 pid
  if pid_alive "$pidfile" "$name"; then
    pid=$(<"$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do
      [[ -d /proc/$pid ]] || break
      sleep 0.1
    done
    if [[ -d /proc/$pid ]]; then
      log "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

redis_answers() { [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

# A MongoDB `ping` command through the official driver when the repo's dependencies are
# installed; a TCP check otherwise (`services up` may run before `npm ci`).
mongo_answers() {
  tcp_open "$MONGO_PORT" || return 1
  if [[ -d $REPO_DIR/node_modules/mongodb ]] && command -v node >/dev/null; then
    local url="mongodb://127.0.0.1:$MONGO_PORT/"
    if [[ -n $MONGO_USER ]]; then
      url=$(PING_USER="$MONGO_USER" PING_PASSWORD="$MONGO_PASSWORD" node -e '
        const e = encodeURIComponent;
        process.stdout.write(`mongodb://${e(process.env.PING_USER)}:${e(process.env.PING_PASSWORD)}@127.0.0.1:${process.argv[1]}/?authSource=admin`);
      ' "$MONGO_PORT")
    fi
    (cd "$REPO_DIR" && MONGO_PING_URL="$url" node --input-type=module -e '
      import { MongoClient } from "mongodb";
      const client = new MongoClient(process.env.MONGO_PING_URL, { serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000 });
      try { await client.db("admin").command({ ping: 1 }); } catch { process.exitCode = 1; } finally { await client.close(); }
    ' >/dev/null 2>&1)
  fi
}

# wait_for WHAT CHECK PIDFILE NAME LOGFILE: poll CHECK until it succeeds; fail early if the
# process died, and fail after START_TIMEOUT_S, showing the tail of its log either way.
wait_for() {
  local what=$1 check=$2 pidfile=$3 name=$4 logfile=$5
  local deadline=$((SECONDS + START_TIMEOUT_S))
  until "$check"; do
    if ! pid_alive "$pidfile" "$name" && ! pid_starting "$pidfile"; then
      log "$what exited during start-up; last lines of $logfile:"
      tail -n 20 "$logfile" >&2 || true
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "$what did not answer within ${START_TIMEOUT_S}s; last lines of $logfile:"
      tail -n 20 "$logfile" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

# ---------------------------------------------------------------------------------------------
# installation

APT_UPDATED=0
apt_install() {
  if ((EUID != 0)); then
    die "'$*' is missing; install it (apt-get install -y $*) or run this script as root"
  fi
  command -v apt-get >/dev/null || die "'$*' is missing and apt-get is not available"
  if ((APT_UPDATED == 0)); then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Debian's Chromium for the dashboard's browser test (driven by playwright-core; no browser downloads)
# and poppler's pdftotext, with which the report test reads back the PDF it printed.
ensure_test_tools() {
  command -v chromium >/dev/null || apt_install chromium
  log "chromium: $(command -v chromium)"
  command -v pdftotext >/dev/null || apt_install poppler-utils
  log "pdftotext: $(command -v pdftotext)"
  ensure_test_venv
}

# The Python venv the tests use (<repo>/.venv): pinned packages from infra/requirements-test.txt,
# then the device SDK from sdk/python. Skipped when neither changed since the last install
# (a stamp of their hashes in the venv).
readonly VENV_DIR="$REPO_DIR/.venv"
ensure_test_venv() {
  local stamp
  command -v python3 >/dev/null || apt_install python3
  stamp=$(find -L "$REPO_DIR/sdk/python" -type f \( -name '*.py' -o -name '*.proto' -o -name '*.toml' \) -print0 \
    | sort -z | xargs -0 cat "$REPO_DIR/infra/requirements-test.txt" | sha256sum | cut -d' ' -f1)
  if [[ -x $VENV_DIR/bin/python && $(cat "$VENV_DIR/.spikesweep-stamp" 2>/dev/null) == "$stamp" ]]; then
    log "python venv: $VENV_DIR (up to date)"
    return
  fi
  if [[ ! -x $VENV_DIR/bin/python ]]; then
    python3 -m venv "$VENV_DIR" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$VENV_DIR"; }
  fi
  log "python venv: pip install -r infra/requirements-test.txt and sdk/python"
  "$VENV_DIR/bin/pip" install -q --disable-pip-version-check -r "$REPO_DIR/infra/requirements-test.txt"
  "$VENV_DIR/bin/pip" install -q --disable-pip-version-check --no-deps --force-reinstall "$REPO_DIR/sdk/python"
  echo "$stamp" >"$VENV_DIR/.spikesweep-stamp"
}

ensure_redis_installed() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null || apt_install redis-server
}

ferretdb_usable() {
  # no `| grep -q` here: grep exiting early would SIGPIPE ferretdb and fail under pipefail
  local version
  [[ -x $FERRETDB_BIN ]] || return 1
  version=$("$FERRETDB_BIN" --version 2>/dev/null) || return 1
  [[ $version == *"version: $FERRETDB_VERSION"* ]]
}

# Builds FerretDB from the Go module proxy into $FERRETDB_BIN (once; the binary is cached).
#
# A plain `go install $FERRETDB_MODULE/cmd/ferretdb@$FERRETDB_VERSION` compiles, but the binary
# panics at start: FerretDB embeds build/version/version.txt, which only its own build tasks
# generate, and the module zip does not contain it. So: download the module source, copy it,
# write version.txt, and `go build` the copy. If the machine's Go cannot compile it, retry with
# an older toolchain, which the module proxy also serves.
# Go >= 1.21 understands GOTOOLCHAIN and so can fetch the toolchain FerretDB's go.mod asks for.
go_new_enough() {
  local version
  version=$(go version 2>/dev/null) || return 1 # "go version go1.19.8 linux/amd64"
  [[ $version =~ go([0-9]+)\.([0-9]+) ]] || return 1
  ((BASH_REMATCH[1] > 1 || BASH_REMATCH[2] >= 21))
}

# Debian bookworm's golang-go is Go 1.19: too old for FerretDB 1.24 (go 1.22) and unable to
# switch toolchains. Fetch the toolchain as the module the Go module proxy serves it as (what
# GOTOOLCHAIN does by itself in newer Go), cache it, and put it first on PATH.
use_fetched_go_toolchain() {
  local module="golang.org/toolchain@v0.0.1-$FALLBACK_GOTOOLCHAIN.$(go env GOOS)-$(go env GOARCH)"
  local root="${XDG_CACHE_HOME:-$HOME/.cache}/spikesweep/$FALLBACK_GOTOOLCHAIN"
  if [[ ! -x $root/bin/go ]]; then
    log "fetching the Go toolchain $FALLBACK_GOTOOLCHAIN from the Go module proxy"
    local dir
    dir=$(go mod download -json "$module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
    [[ -n $dir && -d $dir ]] || die "could not download $module"
    rm -rf "$root.tmp"
    mkdir -p "$(dirname "$root")"
    cp -r "$dir" "$root.tmp"
    chmod -R u+w "$root.tmp"
    chmod +x "$root.tmp"/bin/* "$root.tmp"/pkg/tool/*/*
    rm -rf "$root"
    mv "$root.tmp" "$root"
  fi
  export PATH="$root/bin:$PATH" GOTOOLCHAIN=local
  go_new_enough || die "the fetched Go toolchain at $root does not run"
}

ensure_go() {
  command -v go >/dev/null || apt_install golang-go
  go_new_enough || use_fetched_go_toolchain
}

build_ferretdb() {
  ensure_go
  log "building FerretDB $FERRETDB_VERSION from the Go module proxy (a few minutes, once)"
  local src work
  src=$(GOFLAGS=-mod=mod go mod download -json "$FERRETDB_MODULE@$FERRETDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -n $src && -d $src ]] || die "could not download $FERRETDB_MODULE@$FERRETDB_VERSION"
  work=$(mktemp -d "${TMPDIR:-/tmp}/ferretdb-build.XXXXXX")
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  echo "$FERRETDB_VERSION" >"$work/build/version/version.txt"
  mkdir -p "$(dirname "$FERRETDB_BIN")"
  local ok=0
  if (cd "$work" && nice -n 10 go build -buildvcs=false -trimpath -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb); then
    ok=1
  else
    log "build with $(go version | cut -d' ' -f3) failed; retrying with GOTOOLCHAIN=$FALLBACK_GOTOOLCHAIN"
    if (cd "$work" && GOTOOLCHAIN=$FALLBACK_GOTOOLCHAIN nice -n 10 go build -buildvcs=false -trimpath -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb); then
      ok=1
    fi
  fi
  rm -rf "$work"
  ((ok == 1)) || die "could not build FerretDB $FERRETDB_VERSION"
  mv -f "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
  ferretdb_usable || die "the FerretDB binary built at $FERRETDB_BIN does not run"
  log "FerretDB $FERRETDB_VERSION cached at $FERRETDB_BIN"
}

ensure_ferretdb() {
  if ! ferretdb_usable; then
    [[ -e $FERRETDB_BIN ]] && log "$FERRETDB_BIN does not run as FerretDB $FERRETDB_VERSION; rebuilding it"
    build_ferretdb
  fi
}

# ---------------------------------------------------------------------------------------------
# Redis

redis_up() {
  if pid_alive "$REDIS_DIR/redis.pid" redis-server; then
    # ours: give it the start-up time in case it is still loading its AOF
    wait_for redis redis_answers "$REDIS_DIR/redis.pid" redis-server "$REDIS_DIR/redis.log" ||
      die "redis (pid $(<"$REDIS_DIR/redis.pid")) runs but does not answer on 127.0.0.1:$REDIS_PORT; try 'down' then 'up'"
    log "redis already runs (pid $(<"$REDIS_DIR/redis.pid"), 127.0.0.1:$REDIS_PORT)"
    return 0
  fi
  if tcp_open "$REDIS_PORT"; then
    die "127.0.0.1:$REDIS_PORT is taken by a process this script did not start; stop it or set REDIS_PORT"
  fi
  ensure_redis_installed
  mkdir -p "$REDIS_DIR"
  (umask 077 && : >"$REDIS_DIR/redis.conf")
  cat >"$REDIS_DIR/redis.conf" <<EOF
# Written by infra/services.sh on every start; edit the script, not this file.
bind 127.0.0.1
protected-mode yes
port $REDIS_PORT
daemonize yes
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
dir $REDIS_DIR
# BullMQ needs every key to stay: locks carry TTLs, so even volatile-* policies are unsafe.
maxmemory-policy noeviction
appendonly yes
appendfsync everysec
save ""
EOF
  if [[ -n $REDIS_PASSWORD ]]; then
    # The default user needs this password (AUTH PASSWORD, or redis://:PASSWORD@host:port).
    printf 'requirepass "%s"\n' "${REDIS_PASSWORD//\"/\\\"}" >>"$REDIS_DIR/redis.conf"
  fi
  redis-server "$REDIS_DIR/redis.conf" 9>&-
  # daemonize writes the pidfile shortly after the fork
  for _ in $(seq 50); do [[ -s $REDIS_DIR/redis.pid ]] && break; sleep 0.1; done
  wait_for redis redis_answers "$REDIS_DIR/redis.pid" redis-server "$REDIS_DIR/redis.log"
  log "redis started (pid $(<"$REDIS_DIR/redis.pid"), 127.0.0.1:$REDIS_PORT, data $REDIS_DIR)"
}

redis_down() {
  if pid_alive "$REDIS_DIR/redis.pid" redis-server; then
    # SHUTDOWN flushes the AOF; stop_pid signals the server if it did not take the command.
    local pid
    pid=$(<"$REDIS_DIR/redis.pid")
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
    for _ in $(seq 100); do pid_alive "$REDIS_DIR/redis.pid" redis-server || break; sleep 0.1; done
    pid_alive "$REDIS_DIR/redis.pid" redis-server || log "stopped redis-server (pid $pid)"
  fi
  stop_pid "$REDIS_DIR/redis.pid" redis-server
}

# ---------------------------------------------------------------------------------------------
# MongoDB-wire server

# Starts COMMAND... in the background with its output in LOGFILE, recording its pid in PIDFILE.
spawn() {
  local pidfile=$1 logfile=$2
  shift 2
  nohup setsid "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
  echo $! >"$pidfile"
}

mongod_up() {
  mkdir -p "$MONGO_DIR/db"
  [[ -z $MONGO_USER ]] || die "SPIKESWEEP_MONGO_USER is supported with FerretDB (SPIKESWEEP_MONGO_BACKEND=ferretdb-sqlite); for mongod create the user yourself"
  spawn "$MONGO_DIR/mongo.pid" "$MONGO_DIR/mongo.log" \
    mongod --dbpath "$MONGO_DIR/db" --bind_ip 127.0.0.1 --port "$MONGO_PORT"
  echo mongod >"$MONGO_DIR/backend"
  wait_for mongod mongo_answers "$MONGO_DIR/mongo.pid" mongod "$MONGO_DIR/mongo.log"
}

ferretdb_sqlite_up() {
  ensure_ferretdb
  mkdir -p "$MONGO_DIR/sqlite"
  # FerretDB 1.24 authentication: --test-enable-new-auth keeps users in the database and
  # refuses anonymous commands; --setup-* creates the first user on an empty database.
  local auth=()
  [[ -n $MONGO_USER ]] && auth=(--test-enable-new-auth --setup-username="$MONGO_USER" --setup-database=admin)
  FERRETDB_SETUP_PASSWORD="$MONGO_PASSWORD" spawn "$MONGO_DIR/mongo.pid" "$MONGO_DIR/mongo.log" \
    "$FERRETDB_BIN" --handler=sqlite --sqlite-url="file:$MONGO_DIR/sqlite/" \
    --listen-addr="127.0.0.1:$MONGO_PORT" --state-dir="$MONGO_DIR" \
    --debug-addr=- --telemetry=disable --log-level=error "${auth[@]}"
  echo ferretdb-sqlite >"$MONGO_DIR/backend"
  wait_for "ferretdb (sqlite)" mongo_answers "$MONGO_DIR/mongo.pid" ferretdb "$MONGO_DIR/mongo.log"
}

# A private PostgreSQL cluster (trust auth, loopback, own port) for FerretDB's PostgreSQL backend.
postgres_up() {
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -z $bindir ]]; then
    apt_install postgresql
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  local run=()
  ((EUID == 0)) && run=(runuser -u postgres --)
  mkdir -p "$POSTGRES_DIR"
  ((EUID == 0)) && chown postgres: "$POSTGRES_DIR"
  if [[ ! -s $POSTGRES_DIR/data/PG_VERSION ]]; then
    "${run[@]}" "$bindir/initdb" -D "$POSTGRES_DIR/data" --auth=trust --username=postgres >>"$POSTGRES_DIR/initdb.log" 2>&1
  fi
  ((EUID == 0)) && chown -R postgres: "$POSTGRES_DIR"
  if ! pid_alive "$POSTGRES_DIR/postgres.pid" postgres; then
    "${run[@]}" "$bindir/pg_ctl" -D "$POSTGRES_DIR/data" -l "$POSTGRES_DIR/postgres.log" -w -t "$START_TIMEOUT_S" \
      -o "-c listen_addresses=127.0.0.1 -p $POSTGRES_PORT -k $POSTGRES_DIR" start >/dev/null 9>&-
    head -n 1 "$POSTGRES_DIR/data/postmaster.pid" >"$POSTGRES_DIR/postgres.pid"
    log "postgresql started (pid $(<"$POSTGRES_DIR/postgres.pid"), 127.0.0.1:$POSTGRES_PORT)"
  fi
  local exists
  exists=$("${run[@]}" "$bindir/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'ferretdb'")
  [[ $exists == 1 ]] || "${run[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres ferretdb
}

ferretdb_postgresql_up() {
  ensure_ferretdb
  postgres_up
  spawn "$MONGO_DIR/mongo.pid" "$MONGO_DIR/mongo.log" \
    "$FERRETDB_BIN" --handler=postgresql \
    --postgresql-url="postgres://postgres@127.0.0.1:$POSTGRES_PORT/ferretdb" \
    --listen-addr="127.0.0.1:$MONGO_PORT" --state-dir="$MONGO_DIR" \
    --debug-addr=- --telemetry=disable --log-level=error
  echo ferretdb-postgresql >"$MONGO_DIR/backend"
  wait_for "ferretdb (postgresql)" mongo_answers "$MONGO_DIR/mongo.pid" ferretdb "$MONGO_DIR/mongo.log"
}

mongo_process_name() {
  if [[ $(cat "$MONGO_DIR/backend" 2>/dev/null) == mongod ]]; then echo mongod; else echo ferretdb; fi
}

mongo_up() {
  if pid_alive "$MONGO_DIR/mongo.pid" "$(mongo_process_name)"; then
    wait_for "$(<"$MONGO_DIR/backend")" mongo_answers "$MONGO_DIR/mongo.pid" "$(mongo_process_name)" "$MONGO_DIR/mongo.log" ||
      die "$(<"$MONGO_DIR/backend") (pid $(<"$MONGO_DIR/mongo.pid")) runs but does not answer on 127.0.0.1:$MONGO_PORT; try 'down' then 'up'"
    log "$(<"$MONGO_DIR/backend") already runs (pid $(<"$MONGO_DIR/mongo.pid"), 127.0.0.1:$MONGO_PORT)"
    return 0
  fi
  if tcp_open "$MONGO_PORT"; then
    die "127.0.0.1:$MONGO_PORT is taken by a process this script did not start; stop it or set MONGO_PORT"
  fi
  mkdir -p "$MONGO_DIR"
  local backend=$MONGO_BACKEND previous
  previous=$(cat "$MONGO_DIR/backend" 2>/dev/null || true)
  if [[ $backend == auto ]]; then
    if [[ -n $previous ]]; then
      backend=$previous # the data lives there: never start another, empty backend
    elif command -v mongod >/dev/null; then
      backend=mongod
    else
      backend=ferretdb-sqlite
    fi
  elif [[ -n $previous && $previous != "$backend" ]]; then
    die "$MONGO_DIR holds data of the $previous backend, not $backend; unset SPIKESWEEP_MONGO_BACKEND, or move the data dir away to start empty"
  fi
  case $backend in
    mongod)
      command -v mongod >/dev/null || die "mongod is not on PATH, but $MONGO_DIR holds mongod data"
      mongod_up || die "mongod did not start (see $MONGO_DIR/mongo.log)"
      ;;
    ferretdb-sqlite) ferretdb_sqlite_up || die "ferretdb with the SQLite backend did not start (see $MONGO_DIR/mongo.log)" ;;
    ferretdb-postgresql) ferretdb_postgresql_up || die "ferretdb with the PostgreSQL backend did not start (see $MONGO_DIR/mongo.log)" ;;
    *) die "SPIKESWEEP_MONGO_BACKEND must be auto, mongod, ferretdb-sqlite or ferretdb-postgresql, not '$backend'" ;;
  esac
  log "$(<"$MONGO_DIR/backend") started (pid $(<"$MONGO_DIR/mongo.pid"), 127.0.0.1:$MONGO_PORT, data $MONGO_DIR)"
}

mongo_down() {
  stop_pid "$MONGO_DIR/mongo.pid" "$(mongo_process_name)"
  if pid_alive "$POSTGRES_DIR/postgres.pid" postgres; then
    local bindir run=()
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    ((EUID == 0)) && run=(runuser -u postgres --)
    "${run[@]}" "$bindir/pg_ctl" -D "$POSTGRES_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    log "stopped postgresql (pid $(<"$POSTGRES_DIR/postgres.pid"))"
    stop_pid "$POSTGRES_DIR/postgres.pid" postgres
  fi
  rm -f "$POSTGRES_DIR/postgres.pid"
}

# ---------------------------------------------------------------------------------------------
# status

status_line() {
  local what=$1 pidfile=$2 name=$3 where=$4
  if pid_alive "$pidfile" "$name"; then
    printf '%-22s running  pid %-8s %s\n' "$what" "$(<"$pidfile")" "$where"
  else
    printf '%-22s stopped\n' "$what"
  fi
}

status() {
  local backend
  backend=$(cat "$MONGO_DIR/backend" 2>/dev/null || echo mongodb-wire)
  status_line redis "$REDIS_DIR/redis.pid" redis-server "redis://127.0.0.1:$REDIS_PORT  data $REDIS_DIR"
  status_line "$backend" "$MONGO_DIR/mongo.pid" "$(mongo_process_name)" "mongodb://127.0.0.1:$MONGO_PORT  data $MONGO_DIR"
  if [[ -e $POSTGRES_DIR/postgres.pid ]]; then
    status_line postgresql "$POSTGRES_DIR/postgres.pid" postgres "127.0.0.1:$POSTGRES_PORT  data $POSTGRES_DIR"
  fi
}

# ---------------------------------------------------------------------------------------------

# Serialises concurrent `up`/`down` calls (teammates' test runs may start at the same time).
lock_data_dir() {
  mkdir -p "$DATA_DIR"
  exec 9>"$DATA_DIR/.lock"
  flock -w 900 9 || die "another services.sh holds $DATA_DIR/.lock"
}

main() {
  local action=${1:-}
  case $action in
    up)
      lock_data_dir
      redis_up
      mongo_up
      ;;
    down)
      lock_data_dir
      mongo_down
      redis_down
      ;;
    status) status ;;
    test-tools) ensure_test_tools ;;
    *)
      echo "usage: $(basename "$0") up|down|status|test-tools" >&2
      exit 64
      ;;
  esac
}

# run when executed; only define the functions when sourced (to try one of them by hand)
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
