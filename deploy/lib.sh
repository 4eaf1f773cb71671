# shellcheck shell=bash
# Shared helpers for the deploy/ scripts. Source it; do not run it.
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Sets ROOT (the repository root), TOOLS_BIN, and a default CARGO_TARGET_DIR.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_BIN="$ROOT/.tools/bin"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trex-target}"

# The development mnemonic: the devnet genesis funds its first 10 accounts (anvil's defaults too).
export DEV_MNEMONIC="test test test test test test test test test test test junk"

# Prefix for messages; each script sets SCRIPT_NAME before sourcing or after.
SCRIPT_NAME="${SCRIPT_NAME:-$(basename "$0" .sh)}"

log() { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2
  exit 1
}

# Puts .tools/bin first on PATH (forge finds the solc wrapper there).
use_tools() { export PATH="$TOOLS_BIN:$PATH"; }

# forge_deploy_setup OUT_JSON -> what a forge deployment script needs: .tools/bin on PATH with
# forge and cast in it, jq (installed with apt if absent), and an existing directory for OUT_JSON.
# Then sets `work` to a temporary directory removed on exit: the run's own forge broadcast
# directory, so parallel runs do not overwrite each other's receipts in contracts/broadcast.
forge_deploy_setup() {
  local out_dir
  use_tools
  for tool in forge cast; do
    command -v "$tool" >/dev/null || die "$tool not found (run deploy/install-tools.sh)"
  done
  ensure_apt_package jq jq
  out_dir="$(dirname "$1")"
  [[ -d "$out_dir" ]] || die "directory of $1 does not exist: $out_dir"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
}

# rpc_call URL METHOD [PARAMS_JSON] -> prints the result of a call whose result is a string or a
# number (quotes removed), or fails (exit 1) quietly.
rpc_call() {
  local url="$1" method="$2" params="${3:-[]}" out
  out="$(curl -sS --max-time 3 -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$method\",\"params\":$params}" "$url" 2>/dev/null)" || return 1
  out="$(sed -n 's/.*"result":"\{0,1\}\([^",}]*\).*/\1/p' <<<"$out")"
  [[ -n "$out" ]] || return 1
  printf '%s\n' "$out"
}

# chain_id URL -> the chain id as a decimal number, or fails.
chain_id() {
  local hex
  hex="$(rpc_call "$1" eth_chainId)" || return 1
  [[ "$hex" == 0x* ]] || return 1
  printf '%d\n' "$hex"
}

# last_lines FILE [N] -> the last N (default 30) lines of FILE, indented, for error messages.
last_lines() {
  local f="$1" n="${2:-30}"
  if [[ -s "$f" ]]; then
    printf '  --- last %s lines of %s ---\n' "$n" "$f"
    tail -n "$n" "$f" | sed 's/^/  | /'
  else
    printf '  (%s is empty or missing)\n' "$f"
  fi
}

# wait_rpc NAME URL PID LOG TIMEOUT_S EXPECTED_CHAIN_ID
# Waits until URL answers eth_chainId with EXPECTED_CHAIN_ID. Fails with the log tail if the
# process PID exits first, if the chain id is wrong, or after TIMEOUT_S seconds.
wait_rpc() {
  local name="$1" url="$2" pid="$3" logf="$4" timeout="$5" want="$6" got deadline
  deadline=$((SECONDS + timeout))
  while true; do
    if ! alive "$pid"; then
      wait "$pid" 2>/dev/null
      printf '%s: error: %s exited (status %s) before answering eth_chainId at %s\n%s\n' \
        "$SCRIPT_NAME" "$name" "$?" "$url" "$(last_lines "$logf")" >&2
      return 1
    fi
    if got="$(chain_id "$url")"; then
      if [[ "$got" == "$want" ]]; then
        return 0
      fi
      printf '%s: error: %s at %s answers chain id %s, expected %s (is another node on that port?)\n' \
        "$SCRIPT_NAME" "$name" "$url" "$got" "$want" >&2
      return 1
    fi
    if ((SECONDS >= deadline)); then
      printf '%s: error: %s did not answer eth_chainId at %s within %ss\n%s\n' \
        "$SCRIPT_NAME" "$name" "$url" "$timeout" "$(last_lines "$logf")" >&2
      return 1
    fi
    sleep 0.2
  done
}

# alive PID -> succeeds if the process exists and is not a zombie (an exited child not yet reaped).
alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)"
  [[ "$state" != Z ]]
}

# port_busy PORT -> succeeds if something listens on 127.0.0.1:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ensure_postgres -> makes sure PostgreSQL answers at 127.0.0.1:5432, installing and starting it
# with apt if it does not (a fresh machine); fails with a clear message otherwise.
pg_up() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h 127.0.0.1 -p 5432
  else
    port_busy 5432
  fi
}
ensure_postgres() {
  if pg_up; then
    return 0
  fi
  log "PostgreSQL does not answer at 127.0.0.1:5432; installing and starting it with apt"
  ensure_apt_package pg_ctlcluster postgresql
  local sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  $sudo service postgresql start || true
  for _ in $(seq 1 60); do pg_up && break; sleep 0.5; done
  pg_up || die "PostgreSQL still does not answer at 127.0.0.1:5432 after installing and starting it"
  log "PostgreSQL started"
}

# ensure_nats -> NATS with JetStream answers at 127.0.0.1:4222 (the persona engine's scale-out
# pipeline backend, tested by its suite); installs and starts nats-server with apt where absent.
ensure_nats() {
  port_busy 4222 && return 0
  log "NATS does not answer at 127.0.0.1:4222; installing and starting nats-server with JetStream"
  ensure_apt_package nats-server nats-server
  local store
  store="$(mktemp -d)"
  nohup nats-server --jetstream --store_dir "$store" --addr 127.0.0.1 --port 4222 \
    >"$store/nats.log" 2>&1 &
  for _ in $(seq 1 40); do port_busy 4222 && break; sleep 0.25; done
  port_busy 4222 || die "nats-server did not start (log: $store/nats.log)"
}

# ensure_database NAME -> creates the database NAME on 127.0.0.1:5432 (user postgres) if absent.
ensure_database() {
  local name="$1"
  ensure_apt_package psql postgresql-client
  if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" postgres | grep -q 1; then
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $name" postgres >/dev/null || die "cannot create database $name"
  fi
}

# ensure_apt_package COMMAND PACKAGE -> makes COMMAND available, installing PACKAGE with apt on a
# machine that lacks it; fails with a clear message where apt cannot.
ensure_apt_package() {
  local command="$1" package="$2" sudo=""
  command -v "$command" >/dev/null && return 0
  command -v apt-get >/dev/null || die "$command is needed and apt-get is not available to install $package"
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  log "installing $package with apt (for $command)"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$package" >/dev/null ||
    die "apt-get install $package failed"
}
