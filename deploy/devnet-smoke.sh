#!/usr/bin/env bash
# Smoke test of the one-command devnet: starts deploy/devnet.sh detached (in a temporary state
# directory, on free ports, with the sequencer binary the test suite built), checks what a user
# checks first — both chains answer with their chain ids, L2 produces blocks, devnet.json lists
# the endpoints and funded keys, metrics are served — then stops it and checks nothing is left.
#
# Usage: deploy/devnet-smoke.sh SEQUENCER_BINARY
set -euo pipefail
SCRIPT_NAME=devnet-smoke
# shellcheck source=deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN="${1:?usage: deploy/devnet-smoke.sh SEQUENCER_BINARY}"
[[ -x "$BIN" ]] || die "no sequencer binary at $BIN"
STATE="$(mktemp -d)"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
L1_PORT="$(free_port)" L2_PORT="$(free_port)" METRICS_PORT="$(free_port)"
devnet() {
  TREX_DEVNET_DIR="$STATE" TREX_SEQUENCER_BIN="$BIN" "$ROOT/deploy/devnet.sh" --no-install \
    --l1-port "$L1_PORT" --l2-port "$L2_PORT" --metrics-port "$METRICS_PORT" "$@"
}
cleanup() { devnet --stop >/dev/null 2>&1 || true; rm -rf "$STATE"; }
trap cleanup EXIT

devnet --detach --reset --block-time 200ms
L1="http://127.0.0.1:$L1_PORT" L2="http://127.0.0.1:$L2_PORT"
[[ "$(chain_id "$L1")" == 31337 ]] || die "L1 chain id is not 31337"
[[ "$(chain_id "$L2")" == 31628 ]] || die "L2 chain id is not 31628"
first="$(rpc_call "$L2" eth_blockNumber)"
sleep 1
[[ $(("$(rpc_call "$L2" eth_blockNumber)")) -gt $((first)) ]] || die "L2 produces no blocks"
INFO="$STATE/devnet.json"
[[ -f "$INFO" ]] || die "no devnet.json"
for needle in "\"http\": \"$L2\"" "\"chainId\": 31628" "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"; do
  grep -qF "$needle" "$INFO" || die "devnet.json lacks $needle: $(cat "$INFO")"
done
curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics" | grep -q '^trex_blocks_total' ||
  die "no trex_blocks_total on /metrics"
devnet --stop
[[ ! -f "$INFO" ]] || die "devnet.json left behind after --stop"
! port_busy "$L2_PORT" || die "the sequencer still listens after --stop"
! port_busy "$L1_PORT" || die "anvil still listens after --stop"
log "devnet started, answered, produced blocks and stopped cleanly"
