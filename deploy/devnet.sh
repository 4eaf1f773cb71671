#!/usr/bin/env bash
# Starts the local T-Rex devnet on 127.0.0.1: anvil as L1 with the rollup's L1 contracts, the DA
# bridge, the sequencer, the batcher (its ledger in Postgres), a replica that derives the chain
# from L1 and the DA bridge alone, the badge validator (trex-validator, its own database) and the
# persona engine (trex-persona, its own database; the validator forwards proven facts to it).
#
#   deploy/devnet.sh              start in the foreground; Ctrl-C stops everything cleanly
#   deploy/devnet.sh --detach     start, write .devnet/devnet.json, return
#   deploy/devnet.sh --stop       stop a running devnet (detached or foreground)
#
# Options:
#   --reset               wipe .devnet/ first (default: resume the chains, the DA store and the ledger)
#   --block-time SECS     L2 block time in whole seconds (default 1; fixed when the chain is created)
#   --l1-block-time SECS  L1 (anvil) block time in seconds (default 1)
#   --l2-port N           sequencer HTTP + WebSocket JSON-RPC port (default 9545)
#   --replica-port N      replica JSON-RPC port (default 9546)
#   --l1-port N           L1 HTTP + WebSocket JSON-RPC port (default 8545)
#   --da-port N           DA bridge port (default 3100)
#   --validator-port N    trex-validator HTTP API port (default 3200; /metrics on the same port)
#   --persona-port N      trex-persona HTTP API port (default 3300; /metrics on the same port)
#   --metrics-port N      first of three Prometheus ports: sequencer N, replica N+1, batcher N+2
#                         (default 9001; the DA bridge serves /metrics on its own port)
#   --no-replica          do not start the replica
#   --no-install          skip deploy/install-tools.sh (tools already in .tools/bin)
#
# Environment: CARGO_TARGET_DIR (default ~/.cache/trex-target); TREX_BIN_DIR takes the trex-*
# binaries from that directory instead of building them (the smoke test uses the test build);
# TREX_DEVNET_DIR puts the state, logs and devnet.json elsewhere than .devnet/; Postgres must answer
# at 127.0.0.1:5432 (installed with apt if absent); the batcher's database is trex_devnet_batcher
# (TREX_DEVNET_DATABASE to change it), the validator's trex_devnet_validator
# (TREX_DEVNET_VALIDATOR_DATABASE), the persona engine's trex_devnet_persona
# (TREX_DEVNET_PERSONA_DATABASE).
#
# Writes .devnet/devnet.json (endpoints, chain ids, contract addresses, dev accounts with private
# keys, metrics URLs, datadirs, log files, pids); it exists while the devnet runs.
# Logs: .devnet/logs/{anvil,da-bridge,sequencer,replica,batcher,validator,persona}.log.
set -euo pipefail
SCRIPT_NAME=devnet
# shellcheck source=deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEVNET_DIR="${TREX_DEVNET_DIR:-$ROOT/.devnet}"
LOG_DIR="$DEVNET_DIR/logs"
INFO_FILE="$DEVNET_DIR/devnet.json"
PID_FILE="$DEVNET_DIR/pids"
SEQ_DATADIR="$DEVNET_DIR/sequencer"
REPLICA_DATADIR="$DEVNET_DIR/replica"
DA_DATADIR="$DEVNET_DIR/da"
ROLLUP_DIR="$DEVNET_DIR/rollup"
DEPLOYMENT="$DEVNET_DIR/l1-deployment.json"
ANVIL_STATE="$DEVNET_DIR/anvil-state.json"
DATABASE="${TREX_DEVNET_DATABASE:-trex_devnet_batcher}"
VALIDATOR_DATABASE="${TREX_DEVNET_VALIDATOR_DATABASE:-trex_devnet_validator}"
PERSONA_DATABASE="${TREX_DEVNET_PERSONA_DATABASE:-trex_devnet_persona}"
L1_CHAIN_ID=31337
L2_CHAIN_ID=31628
STOP_TIMEOUT=20
# Batcher key: anvil's account 1 (the batcher named in the rollup config).
BATCHER_KEY=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
# Validator signer: anvil's account 9 (VALIDATOR_ROLE on the devnet's TRexPassport). Passed in the
# environment, never on the command line.
VALIDATOR_KEY=0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6
# The devnet's test zkTLS witness, trusted for Reclaim epoch 1: anvil's account 8. Test only,
# never a real Reclaim witness.
ZKTLS_WITNESS=0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f
# HMAC key the validator signs its results to the persona engine's gateway with (devnet only).
PERSONA_GATEWAY_KEY=74726578206465766e65742067617465776179206b6579
# Stopped in this order: readers and writers of L1 and L2 first, L1 last.
SERVICES=(validator persona batcher replica sequencer da-bridge anvil)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

RESET=0 DETACH=0 STOP=0 INSTALL=1 REPLICA=1
L2_BLOCK_TIME="${TREX_BLOCK_TIME:-1}"
L1_BLOCK_TIME=1
L2_PORT=9545 REPLICA_PORT=9546 L1_PORT=8545 DA_PORT=3100 VALIDATOR_PORT=3200 PERSONA_PORT=3300 METRICS_PORT=9001
while (($#)); do
  case "$1" in
    --reset) RESET=1 ;;
    --detach) DETACH=1 ;;
    --stop) STOP=1 ;;
    --no-install) INSTALL=0 ;;
    --no-replica) REPLICA=0 ;;
    --block-time) L2_BLOCK_TIME="${2:?--block-time needs a number of seconds}"; shift ;;
    --l1-block-time) L1_BLOCK_TIME="${2:?--l1-block-time needs a number of seconds}"; shift ;;
    --l2-port) L2_PORT="${2:?--l2-port needs a port}"; shift ;;
    --replica-port) REPLICA_PORT="${2:?--replica-port needs a port}"; shift ;;
    --l1-port) L1_PORT="${2:?--l1-port needs a port}"; shift ;;
    --da-port) DA_PORT="${2:?--da-port needs a port}"; shift ;;
    --validator-port) VALIDATOR_PORT="${2:?--validator-port needs a port}"; shift ;;
    --persona-port) PERSONA_PORT="${2:?--persona-port needs a port}"; shift ;;
    --metrics-port) METRICS_PORT="${2:?--metrics-port needs a port}"; shift ;;
    --block-time=*) L2_BLOCK_TIME="${1#*=}" ;;
    --l1-block-time=*) L1_BLOCK_TIME="${1#*=}" ;;
    --l2-port=*) L2_PORT="${1#*=}" ;;
    --replica-port=*) REPLICA_PORT="${1#*=}" ;;
    --l1-port=*) L1_PORT="${1#*=}" ;;
    --da-port=*) DA_PORT="${1#*=}" ;;
    --validator-port=*) VALIDATOR_PORT="${1#*=}" ;;
    --persona-port=*) PERSONA_PORT="${1#*=}" ;;
    --metrics-port=*) METRICS_PORT="${1#*=}" ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument: $1 (see deploy/devnet.sh --help)" ;;
  esac
  shift
done
SEQ_METRICS=$METRICS_PORT REPLICA_METRICS=$((METRICS_PORT + 1)) BATCHER_METRICS=$((METRICS_PORT + 2))
DA_METRICS=$DA_PORT
PORTS=("$L1_PORT" "$L2_PORT" "$DA_PORT" "$SEQ_METRICS" "$BATCHER_METRICS" "$VALIDATOR_PORT"
  "$PERSONA_PORT")
((REPLICA)) && PORTS+=("$REPLICA_PORT" "$REPLICA_METRICS")
for p in "${PORTS[@]}"; do
  if ! [[ "$p" =~ ^[0-9]+$ ]] || ((p == 0 || p > 65535)); then die "not a port: $p"; fi
done
[[ "$L1_BLOCK_TIME" =~ ^[1-9][0-9]*$ ]] || die "--l1-block-time takes whole seconds (anvil), got: $L1_BLOCK_TIME"
[[ "$L2_BLOCK_TIME" =~ ^[1-9][0-9]*$ ]] || die "--block-time takes whole seconds (OP rollups have whole-second blocks), got: $L2_BLOCK_TIME"

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

any_alive() {
  local name
  for name in supervisor "${SERVICES[@]}"; do
    alive "$(pid_of "$name")" && return 0
  done
  return 1
}

if ((STOP)); then
  if ! any_alive; then
    rm -f "$PID_FILE" "$INFO_FILE"
    log "no devnet is running"
    exit 0
  fi
  sup="$(pid_of supervisor)"
  if alive "$sup"; then
    # A foreground devnet.sh stops its own services in order on TERM.
    stop_pid "devnet.sh (foreground)" "$sup"
  fi
  for name in "${SERVICES[@]}"; do stop_pid "$name" "$(pid_of "$name")"; done
  rm -f "$PID_FILE" "$INFO_FILE"
  log "stopped"
  exit 0
fi

# --- preflight ---------------------------------------------------------------------------------------
for name in supervisor "${SERVICES[@]}"; do
  if alive "$(pid_of "$name")"; then
    die "a devnet is already running ($name pid $(pid_of "$name")); stop it with: deploy/devnet.sh --stop"
  fi
done
for p in "${PORTS[@]}"; do
  if port_busy "$p"; then
    die "127.0.0.1:$p is already in use; free it or pick other ports (see --help)"
  fi
done
command -v curl >/dev/null || die "curl is needed to check the services' health (Debian: apt-get install curl)"

if ((INSTALL)); then
  "$ROOT/deploy/install-tools.sh" || die "deploy/install-tools.sh failed"
fi
use_tools
for t in anvil cast forge; do
  [[ -x "$TOOLS_BIN/$t" ]] || die "$TOOLS_BIN/$t is missing: run deploy/install-tools.sh"
done
ensure_postgres
ensure_database "$DATABASE"
ensure_database "$VALIDATOR_DATABASE"
ensure_database "$PERSONA_DATABASE"

if [[ -n "${TREX_BIN_DIR:-}" ]]; then
  BIN_DIR="$TREX_BIN_DIR"
else
  log "building trex-sequencer, trex-batcher, trex-da-bridge, trex-validator, trex-persona (release, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
  (cd "$ROOT" && cargo build --release --locked -p trex-sequencer -p trex-batcher -p trex-da-bridge \
    -p trex-validator -p trex-persona) || die "cargo build --release failed"
  BIN_DIR="$CARGO_TARGET_DIR/release"
fi
for b in trex-sequencer trex-batcher trex-da-bridge trex-validator trex-persona; do
  [[ -x "$BIN_DIR/$b" ]] || die "no $b binary in $BIN_DIR"
done

if ((RESET)); then
  log "--reset: wiping $DEVNET_DIR and the databases $DATABASE, $VALIDATOR_DATABASE and $PERSONA_DATABASE"
  rm -rf "$DEVNET_DIR"
  for db in "$DATABASE" "$VALIDATOR_DATABASE" "$PERSONA_DATABASE"; do
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" postgres >/dev/null ||
      die "cannot drop database $db"
    ensure_database "$db"
  done
fi
mkdir -p "$LOG_DIR" "$SEQ_DATADIR" "$DA_DATADIR"

# --- start ---------------------------------------------------------------------------------------------
declare -A PIDS=()
# One log per run; the previous run's is kept beside it as *.log.prev.
for name in "${SERVICES[@]}"; do
  if [[ -f "$LOG_DIR/$name.log" ]]; then mv -f "$LOG_DIR/$name.log" "$LOG_DIR/$name.log.prev"; fi
done

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local rc=$? name
  # Stopping must not be cut short: not by a failing command, nor by SIGPIPE when the terminal or a
  # `| tee` reading our output is already gone.
  set +e
  trap '' PIPE
  trap - EXIT INT TERM
  for name in "${SERVICES[@]}"; do stop_pid "$name" "${PIDS[$name]:-}"; done
  rm -f "$PID_FILE" "$INFO_FILE"
  exit "$rc"
}
trap cleanup EXIT
trap 'trap "" PIPE; log "interrupted" || true; exit 130' INT
trap 'trap "" PIPE; log "terminated" || true; exit 143' TERM

write_pids() {
  local name
  {
    ((DETACH)) || echo "supervisor $$"
    for name in "${!PIDS[@]}"; do echo "$name ${PIDS[$name]}"; done
  } >"$PID_FILE"
}

# launch NAME PROGRAM ARGS... : runs in its own session (setsid), so a Ctrl-C in the terminal
# reaches only this script, which then stops the services in order; a detached devnet survives the
# terminal. NO_COLOR keeps colour codes out of the log files.
launch() {
  local name="$1"
  shift
  NO_COLOR=1 setsid "$@" </dev/null >>"$LOG_DIR/$name.log" 2>&1 &
  PIDS[$name]=$!
  write_pids
}

# wait_http NAME URL TIMEOUT_S: waits until URL answers 2xx, or fails with the log tail.
wait_http() {
  local name="$1" url="$2" deadline=$((SECONDS + $3))
  until curl -fsS --max-time 2 "$url" >/dev/null 2>&1; do
    if ! alive "${PIDS[$name]}" || ((SECONDS >= deadline)); then
      printf '%s: error: %s did not answer %s\n%s\n' "$SCRIPT_NAME" "$name" "$url" \
        "$(last_lines "$LOG_DIR/$name.log")" >&2
      return 1
    fi
    sleep 0.2
  done
}

L1_URL="http://127.0.0.1:$L1_PORT"
L2_URL="http://127.0.0.1:$L2_PORT"
REPLICA_URL="http://127.0.0.1:$REPLICA_PORT"
DA_URL="http://127.0.0.1:$DA_PORT"
VALIDATOR_URL="http://127.0.0.1:$VALIDATOR_PORT"
PERSONA_URL="http://127.0.0.1:$PERSONA_PORT"
PERSONA_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$PERSONA_DATABASE"

# L1: anvil. With one slot per epoch, `finalized` trails the head by two blocks.
if [[ -f "$ANVIL_STATE" ]]; then
  log "L1: resuming anvil state from ${ANVIL_STATE#"$ROOT"/}"
fi
launch anvil "$TOOLS_BIN/anvil" --host 127.0.0.1 --port "$L1_PORT" --chain-id "$L1_CHAIN_ID" \
  --block-time "$L1_BLOCK_TIME" --slots-in-an-epoch 1 --state "$ANVIL_STATE"
wait_rpc "anvil (L1)" "$L1_URL" "${PIDS[anvil]}" "$LOG_DIR/anvil.log" 30 "$L1_CHAIN_ID" || exit 1

# The rollup: L1 contracts, the L2 genesis and the rollup config, once per chain.
if [[ ! -f "$ROLLUP_DIR/rollup.json" ]]; then
  [[ -z "$(ls -A "$SEQ_DATADIR")" ]] ||
    die "$SEQ_DATADIR holds a chain but $ROLLUP_DIR/rollup.json is missing; use --reset"
  log "deploying the L1 contracts (deploy/deploy-l1.sh)"
  if ! "$ROOT/deploy/deploy-l1.sh" "$L1_URL" "$DEPLOYMENT" >"$LOG_DIR/deploy-l1.log" 2>&1; then
    die "deploying the L1 contracts failed
$(last_lines "$LOG_DIR/deploy-l1.log")"
  fi
  "$BIN_DIR/trex-sequencer" init-rollup --chain devnet --l1-deployment "$DEPLOYMENT" \
    --out-dir "$ROLLUP_DIR" --block-time "$L2_BLOCK_TIME" --seq-window-size 120 \
    --channel-timeout 40 || die "trex-sequencer init-rollup failed"
else
  log "resuming the rollup in ${ROLLUP_DIR#"$ROOT"/} (use --reset for a fresh one)"
fi

launch da-bridge "$BIN_DIR/trex-da-bridge" --addr "127.0.0.1:$DA_PORT" --datadir "$DA_DATADIR"
wait_http da-bridge "$DA_URL/health" 30 || exit 1

NODE_ARGS=(--chain "$ROLLUP_DIR/genesis.json" --rollup.config "$ROLLUP_DIR/rollup.json"
  --l1.rpc-url "$L1_URL" --da.url "$DA_URL" --http.addr 127.0.0.1)
launch sequencer "$BIN_DIR/trex-sequencer" node "${NODE_ARGS[@]}" --mode sequencer \
  --datadir "$SEQ_DATADIR" --http.port "$L2_PORT" --l1.confs 2 \
  --metrics.addr "127.0.0.1:$SEQ_METRICS"
wait_rpc "trex-sequencer (L2)" "$L2_URL" "${PIDS[sequencer]}" "$LOG_DIR/sequencer.log" 120 \
  "$L2_CHAIN_ID" || exit 1

launch batcher "$BIN_DIR/trex-batcher" --l1-rpc "$L1_URL" --l2-rpc "$L2_URL" --da-url "$DA_URL" \
  --rollup-config "$ROLLUP_DIR/rollup.json" --private-key "$BATCHER_KEY" --max-channel-duration 4 \
  --database-url "postgres://postgres@127.0.0.1:5432/$DATABASE" \
  --metrics.addr "127.0.0.1:$BATCHER_METRICS"
wait_http batcher "http://127.0.0.1:$BATCHER_METRICS/metrics" 60 || exit 1

# The persona engine follows the identity predeploys on L2 with no confirmation depth (the devnet
# sequencer does not reorg; a production chain keeps the default) and takes the validator's results.
launch persona env TREX_PERSONA_GATEWAY_CLIENTS="trex-validator=$PERSONA_GATEWAY_KEY" \
  "$BIN_DIR/trex-persona" --database-url "$PERSONA_DATABASE_URL" --l2-rpc "$L2_URL" \
  --confirmations 0 --poll-interval-ms 250 --listen "127.0.0.1:$PERSONA_PORT"
wait_http persona "$PERSONA_URL/health" 60 || exit 1
# A match API key for the devnet's scripts, created once per database.
PERSONA_API_KEY_FILE="$DEVNET_DIR/persona-api-key"
if [[ ! -s "$PERSONA_API_KEY_FILE" ]]; then
  "$BIN_DIR/trex-persona" api-key create --project devnet --database-url "$PERSONA_DATABASE_URL" \
    >"$PERSONA_API_KEY_FILE.tmp" || die "trex-persona api-key create failed"
  mv -f "$PERSONA_API_KEY_FILE.tmp" "$PERSONA_API_KEY_FILE"
fi

# The badge validator reads the identity predeploys on L2 (the devnet's chain id selects them).
launch validator env TREX_VALIDATOR_SIGNER_KEY="$VALIDATOR_KEY" \
  TREX_VALIDATOR_PERSONA_KEY="$PERSONA_GATEWAY_KEY" "$BIN_DIR/trex-validator" \
  --listen "127.0.0.1:$VALIDATOR_PORT" \
  --database-url "postgres://postgres@127.0.0.1:5432/$VALIDATOR_DATABASE" \
  --l2-rpc "$L2_URL" --zktls.witness "1:$ZKTLS_WITNESS" --persona.url "$PERSONA_URL"
wait_http validator "$VALIDATOR_URL/health" 60 || exit 1

if ((REPLICA)); then
  mkdir -p "$REPLICA_DATADIR"
  launch replica "$BIN_DIR/trex-sequencer" node "${NODE_ARGS[@]}" --mode replica \
    --datadir "$REPLICA_DATADIR" --http.port "$REPLICA_PORT" \
    --metrics.addr "127.0.0.1:$REPLICA_METRICS"
  wait_rpc "trex-sequencer (replica)" "$REPLICA_URL" "${PIDS[replica]}" "$LOG_DIR/replica.log" \
    120 "$L2_CHAIN_ID" || exit 1
fi

# --- devnet.json -------------------------------------------------------------------------------------
ACCOUNTS_JSON="$(cast wallet derive "$DEV_MNEMONIC" --accounts 10 --insecure --json)" ||
  die "cast wallet derive failed"
TMP_INFO="$INFO_FILE.tmp.$$"
PIDS_JSON=""
for name in "${!PIDS[@]}"; do PIDS_JSON+="\"$name\":${PIDS[$name]},"; done
PIDS_JSON="{${PIDS_JSON%,}}"
SUPERVISOR_PID=$$
((DETACH)) && SUPERVISOR_PID=""
export ACCOUNTS_JSON DETACH SUPERVISOR_PID L1_CHAIN_ID L1_URL L1_PORT L1_BLOCK_TIME ANVIL_STATE \
  L2_CHAIN_ID L2_URL L2_PORT L2_BLOCK_TIME REPLICA REPLICA_URL REPLICA_PORT DA_URL DA_DATADIR \
  SEQ_METRICS REPLICA_METRICS BATCHER_METRICS DA_METRICS SEQ_DATADIR REPLICA_DATADIR BIN_DIR \
  DEV_MNEMONIC LOG_DIR PIDS_JSON DEPLOYMENT ROLLUP_DIR DATABASE VALIDATOR_URL VALIDATOR_DATABASE \
  ZKTLS_WITNESS PERSONA_URL PERSONA_DATABASE PERSONA_API_KEY_FILE
node "$ROOT/deploy/tools/devnet-info.js" "$TMP_INFO" || die "writing $INFO_FILE failed"
mv -f "$TMP_INFO" "$INFO_FILE"

L2_HEAD="$(rpc_call "$L2_URL" eth_blockNumber)" && L2_HEAD="$((L2_HEAD))" || L2_HEAD='?'
REPLICA_LINE=""
((REPLICA)) && REPLICA_LINE="  L2 replica                $REPLICA_URL  (derives from L1 + DA only)"

cat >&2 <<EOF

  T-Rex devnet is up
  L2 sequencer   chain $L2_CHAIN_ID  $L2_URL  ws://127.0.0.1:$L2_PORT  (head $L2_HEAD, blocks every ${L2_BLOCK_TIME}s)
$REPLICA_LINE
  L1 anvil       chain $L1_CHAIN_ID  $L1_URL  ws://127.0.0.1:$L1_PORT
  DA bridge                 $DA_URL  (embedded store)
  batcher                   ledger postgres://postgres@127.0.0.1:5432/$DATABASE
  validator                 $VALIDATOR_URL  (signer account 9, zkTLS test witness account 8; try $VALIDATOR_URL/v1/info)
  persona engine            $PERSONA_URL  (match API key in ${PERSONA_API_KEY_FILE#"$ROOT"/}; try $PERSONA_URL/openapi.json)
  metrics        sequencer :$SEQ_METRICS  replica :$REPLICA_METRICS  batcher :$BATCHER_METRICS  DA bridge :$DA_METRICS
  dev account 0  $(node -p 'JSON.parse(process.argv[1])[0].address' "$ACCOUNTS_JSON")  (10 funded accounts in ${INFO_FILE#"$ROOT"/})
  logs           ${LOG_DIR#"$ROOT"/}/
  try            cast block-number --rpc-url $L2_URL
                 cast rpc optimism_syncStatus --rpc-url $L2_URL

EOF

if ((DETACH)); then
  trap - EXIT INT TERM
  log "detached; stop with: deploy/devnet.sh --stop"
  exit 0
fi

log "running; Ctrl-C stops everything"
# Wake up when any service exits; the traps handle Ctrl-C and TERM.
wait -n "${PIDS[@]}" || true
for name in "${SERVICES[@]}"; do
  if [[ -n "${PIDS[$name]:-}" ]] && ! alive "${PIDS[$name]}"; then
    printf '%s: error: %s exited unexpectedly\n%s\n' "$SCRIPT_NAME" "$name" \
      "$(last_lines "$LOG_DIR/$name.log")" >&2
  fi
done
exit 1
