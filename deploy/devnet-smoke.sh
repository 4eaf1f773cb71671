#!/usr/bin/env bash
# Smoke test of the one-command devnet: starts deploy/devnet.sh detached (in a temporary state
# directory, on free ports, with the binaries the test suite built, a throwaway batcher database),
# checks what a user checks first — both chains answer with their chain ids, L2 produces blocks,
# the DA bridge, the batcher, the replica, the badge validator and the persona engine are up, devnet.json lists the
# endpoints, contracts and funded keys, metrics are served, the identity acceptance flows pass
# through both SDKs (deploy/identity-acceptance.sh) — then stops it and checks nothing is left.
#
# Usage: deploy/devnet-smoke.sh BIN_DIR   (the directory holding trex-sequencer, trex-batcher,
#                                         trex-da-bridge, trex-validator, trex-persona)
set -euo pipefail
SCRIPT_NAME=devnet-smoke
# shellcheck source=deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN_DIR="${1:?usage: deploy/devnet-smoke.sh BIN_DIR}"
[[ -x "$BIN_DIR/trex-sequencer" ]] || die "no trex-sequencer in $BIN_DIR"
STATE="$(mktemp -d)"
DATABASE="trex_smoke_$$"
VALIDATOR_DATABASE="trex_smoke_validator_$$"
PERSONA_DATABASE="trex_smoke_persona_$$"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
L1_PORT="$(free_port)" L2_PORT="$(free_port)" REPLICA_PORT="$(free_port)" DA_PORT="$(free_port)"
VALIDATOR_PORT="$(free_port)" PERSONA_PORT="$(free_port)"
# Three consecutive metrics ports from a random base.
METRICS_PORT=$((20000 + RANDOM % 20000))
devnet() {
  TREX_DEVNET_DIR="$STATE" TREX_BIN_DIR="$BIN_DIR" TREX_DEVNET_DATABASE="$DATABASE" \
    TREX_DEVNET_VALIDATOR_DATABASE="$VALIDATOR_DATABASE" TREX_DEVNET_PERSONA_DATABASE="$PERSONA_DATABASE" \
    "$ROOT/deploy/devnet.sh" --no-install --l1-port "$L1_PORT" --l2-port "$L2_PORT" \
    --replica-port "$REPLICA_PORT" --da-port "$DA_PORT" --validator-port "$VALIDATOR_PORT" \
    --persona-port "$PERSONA_PORT" \
    --metrics-port "$METRICS_PORT" "$@"
}
cleanup() {
  devnet --stop >/dev/null 2>&1 || true
  rm -rf "$STATE"
  for db in "$DATABASE" "$VALIDATOR_DATABASE" "$PERSONA_DATABASE"; do
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" postgres >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

devnet --detach --reset
L1="http://127.0.0.1:$L1_PORT" L2="http://127.0.0.1:$L2_PORT"
[[ "$(chain_id "$L1")" == 31337 ]] || die "L1 chain id is not 31337"
[[ "$(chain_id "$L2")" == 31628 ]] || die "L2 chain id is not 31628"
first="$(rpc_call "$L2" eth_blockNumber)"
sleep 1
[[ $(("$(rpc_call "$L2" eth_blockNumber)")) -gt $((first)) ]] || die "L2 produces no blocks"
INFO="$STATE/devnet.json"
[[ -f "$INFO" ]] || die "no devnet.json"
VALIDATOR="http://127.0.0.1:$VALIDATOR_PORT"
for needle in "\"http\": \"$L2\"" "\"chainId\": 31628" "\"TRexPortal\": \"0x" "\"batchInbox\"" \
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" \
  "\"validatorUrl\": \"$VALIDATOR\""; do
  grep -qF "$needle" "$INFO" || die "devnet.json lacks $needle: $(cat "$INFO")"
done
curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics" | grep -q '^trex_blocks_total' ||
  die "no trex_blocks_total on /metrics"
for port in $((METRICS_PORT + 1)) $((METRICS_PORT + 2)) "$DA_PORT"; do
  curl -fsS "http://127.0.0.1:$port/metrics" >/dev/null || die "no /metrics on port $port"
done
curl -fsS "http://127.0.0.1:$DA_PORT/health" >/dev/null || die "the DA bridge is not healthy"
# The badge validator: healthy, signing as account 9 for the devnet's chain and predeploys.
curl -fsS "$VALIDATOR/health" | grep -q '"ok"' || die "the validator is not healthy"
info="$(curl -fsS "$VALIDATOR/v1/info")" || die "the validator does not answer /v1/info"
for needle in '"chainId":31628' '"validator":"0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"' \
  '"passport":"0x06fab5a4e177fefe5cc15dc41c64ba933021418a"' '"chains":["trex"]'; do
  grep -qiF "$needle" <<<"$info" || die "validator /v1/info lacks $needle: $info"
done
curl -fsS "$VALIDATOR/metrics" | grep -q '^trex_validator_requests_total' ||
  die "no trex_validator_requests_total on the validator's /metrics"
REPLICA="http://127.0.0.1:$REPLICA_PORT"
[[ "$(chain_id "$REPLICA")" == 31628 ]] || die "the replica does not answer"
curl -fsS -H 'content-type: application/json' \
  -d '{"jsonrpc":"2.0","id":1,"method":"optimism_syncStatus","params":[]}' "$L2" | grep -q '"safe_l2"' ||
  die "optimism_syncStatus does not answer"
# The pipeline runs: the replica, reading only L1 and the DA bridge, reaches the sequencer's blocks.
block_hash() {
  curl -fsS -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBlockByNumber\",\"params\":[\"$2\",false]}" "$1" |
    sed -n 's/.*"hash":"\(0x[0-9a-f]*\)".*/\1/p'
}
target="$(rpc_call "$L2" eth_blockNumber)"
for _ in $(seq 1 120); do
  [[ -n "$(block_hash "$REPLICA" "$target")" ]] && break
  sleep 0.5
done
want="$(block_hash "$L2" "$target")" got="$(block_hash "$REPLICA" "$target")"
[[ -n "$got" && "$got" == "$want" ]] ||
  die "the replica did not derive the sequencer's block $target (want $want, got ${got:-nothing})"

# The persona engine: healthy, its OpenAPI document served, and a match key in devnet.json.
PERSONA="http://127.0.0.1:$PERSONA_PORT"
curl -fsS "$PERSONA/health" >/dev/null || die "the persona engine is not healthy"
curl -fsS "$PERSONA/openapi.json" | grep -q '"/v1/match"' || die "the persona engine's /openapi.json lacks /v1/match"
PERSONA_KEY="$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).persona.apiKey' "$INFO")" ||
  die "devnet.json has no persona.apiKey"

# The identity acceptance flows, through both SDKs, against this devnet: passport, wallet and
# Solana links, an NFT-holding badge and a zkTLS badge minted with the validator's attestations,
# points, DID login, and every rejection the issue lists.
TREX_DEVNET_INFO="$INFO" "$ROOT/deploy/identity-acceptance.sh" ||
  die "the identity acceptance flows failed on the devnet"

# What the flows did reaches the persona engine: both SDK runs minted an NFT and a zkTLS badge, and
# the validator forwarded the proven Twitch follower counts; the seed-style query finds them.
MATCH='{"criteria":[{"expr":"twitch_followers > 10000","weight":2},{"expr":"badge_count >= 2","weight":1}],"filter":"twitch_followers > 10000","limit":10}'
for _ in $(seq 1 40); do
  answer="$(curl -fsS -H "authorization: Bearer $PERSONA_KEY" -H 'content-type: application/json' \
    -d "$MATCH" "$PERSONA/v1/match")" || die "POST /v1/match failed"
  found="$(node -p 'JSON.parse(process.argv[1]).matches.filter(m => m.pms === 100).length' "$answer")"
  ((found >= 2)) && break
  sleep 0.5
done
((found >= 2)) || die "the persona engine does not rank both flows' passports at PMS 100: $answer"
log "persona engine: both passports matched with PMS 100 ($answer)"

devnet --stop
[[ ! -f "$INFO" ]] || die "devnet.json left behind after --stop"
! port_busy "$L2_PORT" || die "the sequencer still listens after --stop"
! port_busy "$L1_PORT" || die "anvil still listens after --stop"
! port_busy "$REPLICA_PORT" || die "the replica still listens after --stop"
! port_busy "$DA_PORT" || die "the DA bridge still listens after --stop"
! port_busy "$VALIDATOR_PORT" || die "the validator still listens after --stop"
! port_busy "$PERSONA_PORT" || die "the persona engine still listens after --stop"
log "devnet started, answered, produced blocks, the replica derived them, the validator served, both SDKs passed the identity flows, the persona engine ranked their passports, and it stopped cleanly"
