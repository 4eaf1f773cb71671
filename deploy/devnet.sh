#!/usr/bin/env bash
# Starts the local T-Rex devnet: anvil as L1 and trex-sequencer as L2, on 127.0.0.1.
#
#   deploy/devnet.sh              start in the foreground; Ctrl-C stops both nodes cleanly
#   deploy/devnet.sh --detach     start, write .devnet/devnet.json, return
#   deploy/devnet.sh --stop       stop a running devnet (detached or foreground)
#
# Options:
#   --reset               wipe .devnet/ first (default: resume the sequencer datadir and anvil state)
#   --block-time DUR      L2 block time, humantime (default 1s; e.g. 200ms)
#   --l1-block-time SECS  L1 (anvil) block time in seconds (default 1)
#   --l2-port N           L2 HTTP + WebSocket JSON-RPC port (default 9545)
#   --l1-port N           L1 HTTP + WebSocket JSON-RPC port (default 8545)
#   --metrics-port N      sequencer Prometheus metrics port (default 9001)
#   --no-install          skip deploy/install-tools.sh (tools already in .tools/bin)
#
# Environment: CARGO_TARGET_DIR (default ~/.cache/trex-target); TREX_SEQUENCER_BIN uses that binary
# instead of building one (for debugging the script itself, and for the smoke test);
# TREX_DEVNET_DIR puts the state, logs and devnet.json elsewhere than .devnet/.
#
# Writes .devnet/devnet.json (endpoints, chain ids, dev accounts with private keys, metrics URL,
# datadirs, log files, pids); it exists while the devnet runs. Logs: .devnet/logs/{anvil,sequencer}.log.
set -euo pipefail
SCRIPT_NAME=devnet
# shellcheck source=deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEVNET_DIR="${TREX_DEVNET_DIR:-$ROOT/.devnet}"
LOG_DIR="$DEVNET_DIR/logs"
INFO_FILE="$DEVNET_DIR/devnet.json"
PID_FILE="$DEVNET_DIR/pids"
SEQ_DATADIR="$DEVNET_DIR/sequencer"
ANVIL_STATE="$DEVNET_DIR/anvil-state.json"
L1_CHAIN_ID=31337
L2_CHAIN_ID=31628
STOP_TIMEOUT=20

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

RESET=0 DETACH=0 STOP=0 INSTALL=1
L2_BLOCK_TIME="${TREX_BLOCK_TIME:-1s}"
L1_BLOCK_TIME=1
L2_PORT=9545 L1_PORT=8545 METRICS_PORT=9001
while (($#)); do
  case "$1" in
    --reset) RESET=1 ;;
    --detach) DETACH=1 ;;
    --stop) STOP=1 ;;
    --no-install) INSTALL=0 ;;
    --block-time) L2_BLOCK_TIME="${2:?--block-time needs a value, e.g. 1s or 200ms}"; shift ;;
    --l1-block-time) L1_BLOCK_TIME="${2:?--l1-block-time needs a number of seconds}"; shift ;;
    --l2-port) L2_PORT="${2:?--l2-port needs a port}"; shift ;;
    --l1-port) L1_PORT="${2:?--l1-port needs a port}"; shift ;;
    --metrics-port) METRICS_PORT="${2:?--metrics-port needs a port}"; shift ;;
    --block-time=*) L2_BLOCK_TIME="${1#*=}" ;;
    --l1-block-time=*) L1_BLOCK_TIME="${1#*=}" ;;
    --l2-port=*) L2_PORT="${1#*=}" ;;
    --l1-port=*) L1_PORT="${1#*=}" ;;
    --metrics-port=*) METRICS_PORT="${1#*=}" ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument: $1 (see deploy/devnet.sh --help)" ;;
  esac
  shift
done
for p in "$L2_PORT" "$L1_PORT" "$METRICS_PORT"; do
  if ! [[ "$p" =~ ^[0-9]+$ ]] || ((p == 0 || p > 65535)); then die "not a port: $p"; fi
done
[[ "$L1_BLOCK_TIME" =~ ^[0-9]+$ ]] || die "--l1-block-time takes whole seconds (anvil), got: $L1_BLOCK_TIME"
[[ "$L2_BLOCK_TIME" =~ ^[0-9]+(ms|s|m)$ ]] || die "--block-time takes a duration like 1s or 200ms, got: $L2_BLOCK_TIME"

# --- stopping --------------------------------------------------------------------------------------

# The pid file holds lines "name pid": supervisor (the foreground script), sequencer, anvil.
pid_of() {
  if [[ -f "$PID_FILE" ]]; then awk -v n="$1" '$1 == n { print $2 }' "$PID_FILE"; fi
}

# stop_pid NAME PID: TERM, wait up to STOP_TIMEOUT seconds, then KILL.
stop_pid() {
  local name="$1" pid="$2" i
  alive "$pid" || return 0
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    alive "$pid" || return 0
    sleep 0.1
  done
  warn "$name (pid $pid) did not exit within ${STOP_TIMEOUT}s of SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

if ((STOP)); then
  sup="$(pid_of supervisor)" seq="$(pid_of sequencer)" l1="$(pid_of anvil)"
  if ! alive "$sup" && ! alive "$seq" && ! alive "$l1"; then
    rm -f "$PID_FILE" "$INFO_FILE"
    log "no devnet is running"
    exit 0
  fi
  if alive "$sup"; then
    # A foreground devnet.sh stops its own nodes in order on TERM.
    stop_pid "devnet.sh (foreground)" "$sup"
  fi
  stop_pid trex-sequencer "$seq"
  stop_pid anvil "$l1"
  rm -f "$PID_FILE" "$INFO_FILE"
  log "stopped"
  exit 0
fi

# --- preflight ---------------------------------------------------------------------------------------
for name in supervisor sequencer anvil; do
  if alive "$(pid_of "$name")"; then
    die "a devnet is already running ($name pid $(pid_of "$name")); stop it with: deploy/devnet.sh --stop"
  fi
done
for p in "$L1_PORT" "$L2_PORT" "$METRICS_PORT"; do
  if port_busy "$p"; then
    die "127.0.0.1:$p is already in use; free it or pick other ports (--l1-port, --l2-port, --metrics-port)"
  fi
done
command -v curl >/dev/null || die "curl is needed to check the nodes' health (Debian: apt-get install curl)"

if ((INSTALL)); then
  "$ROOT/deploy/install-tools.sh" || die "deploy/install-tools.sh failed"
fi
use_tools
for t in anvil cast; do
  [[ -x "$TOOLS_BIN/$t" ]] || die "$TOOLS_BIN/$t is missing: run deploy/install-tools.sh"
done

if [[ -n "${TREX_SEQUENCER_BIN:-}" ]]; then
  SEQ_BIN="$TREX_SEQUENCER_BIN"
else
  log "building trex-sequencer (release, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
  (cd "$ROOT" && cargo build --release --locked -p trex-sequencer --bin trex-sequencer) ||
    die "cargo build --release -p trex-sequencer failed"
  SEQ_BIN="$CARGO_TARGET_DIR/release/trex-sequencer"
fi
[[ -x "$SEQ_BIN" ]] || die "no sequencer binary at $SEQ_BIN"

if ((RESET)); then
  log "--reset: wiping $DEVNET_DIR"
  rm -rf "$DEVNET_DIR"
fi
mkdir -p "$LOG_DIR" "$SEQ_DATADIR"

# --- start ---------------------------------------------------------------------------------------------
ANVIL_LOG="$LOG_DIR/anvil.log"
SEQ_LOG="$LOG_DIR/sequencer.log"
ANVIL_PID="" SEQ_PID=""
# One log per run; the previous run's is kept beside it as *.log.prev.
for f in "$ANVIL_LOG" "$SEQ_LOG"; do
  if [[ -f "$f" ]]; then mv -f "$f" "$f.prev"; fi
done

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local rc=$?
  # Stopping the nodes must not be cut short: not by a failing command, nor by SIGPIPE when the
  # terminal or a `| tee` reading our output is already gone.
  set +e
  trap '' PIPE
  trap - EXIT INT TERM
  stop_pid trex-sequencer "$SEQ_PID"
  stop_pid anvil "$ANVIL_PID"
  rm -f "$PID_FILE" "$INFO_FILE"
  exit "$rc"
}
trap cleanup EXIT
trap 'trap "" PIPE; log "interrupted" || true; exit 130' INT
trap 'trap "" PIPE; log "terminated" || true; exit 143' TERM

# Logs are files: NO_COLOR keeps terminal colour codes out of them.
# Each node runs in its own session (setsid), so a Ctrl-C in the terminal reaches only this script,
# which then stops the sequencer first and anvil second; a detached devnet survives the terminal.
if [[ -f "$ANVIL_STATE" ]]; then
  log "L1: resuming anvil state from ${ANVIL_STATE#"$ROOT"/}"
fi
NO_COLOR=1 setsid "$TOOLS_BIN/anvil" --host 127.0.0.1 --port "$L1_PORT" --chain-id "$L1_CHAIN_ID" \
  --block-time "$L1_BLOCK_TIME" --state "$ANVIL_STATE" </dev/null >>"$ANVIL_LOG" 2>&1 &
ANVIL_PID=$!

if [[ -n "$(ls -A "$SEQ_DATADIR")" ]]; then
  log "L2: resuming the sequencer datadir ${SEQ_DATADIR#"$ROOT"/} (use --reset for a fresh chain)"
fi
NO_COLOR=1 setsid "$SEQ_BIN" node --chain devnet --datadir "$SEQ_DATADIR" \
  --http.addr 127.0.0.1 --http.port "$L2_PORT" --block-time "$L2_BLOCK_TIME" \
  --gas-limit 30000000 --metrics.addr "127.0.0.1:$METRICS_PORT" </dev/null >>"$SEQ_LOG" 2>&1 &
SEQ_PID=$!

SUPERVISOR_PID=$$
((DETACH)) && SUPERVISOR_PID=""
{
  [[ -n "$SUPERVISOR_PID" ]] && echo "supervisor $SUPERVISOR_PID"
  echo "sequencer $SEQ_PID"
  echo "anvil $ANVIL_PID"
} >"$PID_FILE"

L1_URL="http://127.0.0.1:$L1_PORT"
L2_URL="http://127.0.0.1:$L2_PORT"
wait_rpc "anvil (L1)" "$L1_URL" "$ANVIL_PID" "$ANVIL_LOG" 30 "$L1_CHAIN_ID" || exit 1
wait_rpc "trex-sequencer (L2)" "$L2_URL" "$SEQ_PID" "$SEQ_LOG" 120 "$L2_CHAIN_ID" || exit 1

# --- devnet.json -------------------------------------------------------------------------------------
ACCOUNTS_JSON="$(cast wallet derive "$DEV_MNEMONIC" --accounts 10 --insecure --json)" ||
  die "cast wallet derive failed"
TMP_INFO="$INFO_FILE.tmp.$$"
export ACCOUNTS_JSON DETACH SUPERVISOR_PID L1_CHAIN_ID L1_PORT L1_BLOCK_TIME ANVIL_PID ANVIL_LOG \
  ANVIL_STATE L2_CHAIN_ID L2_PORT L2_BLOCK_TIME METRICS_PORT SEQ_PID SEQ_LOG SEQ_DATADIR SEQ_BIN \
  DEV_MNEMONIC
node - "$TMP_INFO" <<'EOF' || die "writing $INFO_FILE failed"
const fs = require('node:fs');
const e = process.env;
const pid = (s) => (s ? Number(s) : null);
const info = {
  version: 1,
  startedAt: new Date().toISOString(),
  detached: e.DETACH === '1',
  supervisorPid: pid(e.SUPERVISOR_PID),
  l1: {
    name: 'anvil',
    chainId: Number(e.L1_CHAIN_ID),
    http: `http://127.0.0.1:${e.L1_PORT}`,
    ws: `ws://127.0.0.1:${e.L1_PORT}`,
    blockTimeSeconds: Number(e.L1_BLOCK_TIME),
    pid: pid(e.ANVIL_PID),
    log: e.ANVIL_LOG,
    state: e.ANVIL_STATE,
  },
  l2: {
    name: 'trex-sequencer',
    chainId: Number(e.L2_CHAIN_ID),
    http: `http://127.0.0.1:${e.L2_PORT}`,
    ws: `ws://127.0.0.1:${e.L2_PORT}`,
    blockTime: e.L2_BLOCK_TIME,
    metrics: `http://127.0.0.1:${e.METRICS_PORT}/metrics`,
    pid: pid(e.SEQ_PID),
    log: e.SEQ_LOG,
    datadir: e.SEQ_DATADIR,
    binary: e.SEQ_BIN,
  },
  mnemonic: e.DEV_MNEMONIC,
  derivationPath: "m/44'/60'/0'/0/{index}",
  accounts: JSON.parse(e.ACCOUNTS_JSON).map((a, index) => ({
    index,
    address: a.address,
    privateKey: a.private_key,
  })),
};
fs.writeFileSync(process.argv[2], JSON.stringify(info, null, 2) + '\n');
EOF
mv -f "$TMP_INFO" "$INFO_FILE"

L2_HEAD="$(rpc_call "$L2_URL" eth_blockNumber)" && L2_HEAD="$((L2_HEAD))" || L2_HEAD='?'

cat >&2 <<EOF

  T-Rex devnet is up
  L2 trex-sequencer  chain $L2_CHAIN_ID  $L2_URL  ws://127.0.0.1:$L2_PORT  (head $L2_HEAD, blocks every $L2_BLOCK_TIME)
  L1 anvil           chain $L1_CHAIN_ID  $L1_URL  ws://127.0.0.1:$L1_PORT
  metrics            http://127.0.0.1:$METRICS_PORT/metrics
  dev account 0      $(node -p 'JSON.parse(process.argv[1])[0].address' "$ACCOUNTS_JSON")  (10 funded accounts in ${INFO_FILE#"$ROOT"/})
  logs               ${LOG_DIR#"$ROOT"/}/anvil.log  ${LOG_DIR#"$ROOT"/}/sequencer.log
  try                cast block-number --rpc-url $L2_URL

EOF

if ((DETACH)); then
  trap - EXIT INT TERM
  log "detached (sequencer pid $SEQ_PID, anvil pid $ANVIL_PID); stop with: deploy/devnet.sh --stop"
  exit 0
fi

log "running; Ctrl-C stops both nodes"
# Wake up when either node exits; the traps handle Ctrl-C and TERM.
wait -n "$SEQ_PID" "$ANVIL_PID" || true
if ! alive "$SEQ_PID"; then
  printf '%s: error: trex-sequencer exited unexpectedly\n%s\n' "$SCRIPT_NAME" "$(last_lines "$SEQ_LOG")" >&2
else
  printf '%s: error: anvil exited unexpectedly\n%s\n' "$SCRIPT_NAME" "$(last_lines "$ANVIL_LOG")" >&2
fi
exit 1
