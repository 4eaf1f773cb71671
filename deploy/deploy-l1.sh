#!/usr/bin/env bash
# Deploys T-Rex Chain's L1 contracts (TRexPortal, SystemConfig) with contracts/script/DeployL1.s.sol
# and writes what the rest of the devnet needs to OUT_JSON:
#
#   {"l1ChainId":31337,"TRexPortal":"0x…","SystemConfig":"0x…","batchInbox":"0xff…031628",
#    "deployBlock":{"number":N,"hash":"0x…","timestamp":T}}
#
# deployBlock is the L1 block holding the last deploy transaction (SystemConfig's); derivation
# starts there. Not idempotent: every run deploys new contracts.
#
# Usage: deploy/deploy-l1.sh <l1-rpc-url> <out.json>
# Environment (all optional; defaults are the devnet's, see DeployL1.s.sol): TREX_DEPLOYER_KEY,
# TREX_L1_OWNER, TREX_GUARDIAN, TREX_BATCHER, TREX_BATCH_INBOX, TREX_L2_GAS_LIMIT,
# TREX_BASEFEE_SCALAR, TREX_BLOBBASEFEE_SCALAR, TREX_MAX_DEPOSIT_GAS,
# TREX_MAX_DEPOSIT_GAS_PER_BLOCK.
# Needs: deploy/install-tools.sh run first (forge, cast); jq (installed with apt if absent).
set -euo pipefail
SCRIPT_NAME="deploy-l1"
# shellcheck source=deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 ]] || die "usage: deploy/deploy-l1.sh <l1-rpc-url> <out.json>"
RPC_URL="$1"
OUT_JSON="$2"
forge_deploy_setup "$OUT_JSON"

L1_CHAIN_ID="$(chain_id "$RPC_URL")" || die "no L1 RPC answers eth_chainId at $RPC_URL (is anvil running?)"
log "L1 at $RPC_URL, chain id $L1_CHAIN_ID"

log "deploying TRexPortal and SystemConfig (forge script script/DeployL1.s.sol --broadcast)"
if ! (cd "$ROOT/contracts" &&
  FOUNDRY_BROADCAST="$work/broadcast" forge script script/DeployL1.s.sol:DeployL1 \
    --rpc-url "$RPC_URL" --broadcast --slow >"$work/forge.log" 2>&1); then
  die "forge script failed:
$(last_lines "$work/forge.log" 40)"
fi

run_json="$work/broadcast/DeployL1.s.sol/$L1_CHAIN_ID/run-latest.json"
[[ -s "$run_json" ]] || die "forge script wrote no broadcast record at $run_json:
$(last_lines "$work/forge.log" 40)"

# address_of NAME -> the address of the contract NAME created by the run.
address_of() {
  jq -er --arg name "$1" \
    '[.transactions[] | select(.transactionType == "CREATE" and .contractName == $name)] | last | .contractAddress' \
    "$run_json"
}
portal="$(address_of TRexPortal)" || die "no TRexPortal deployment in $run_json"
system_config="$(address_of SystemConfig)" || die "no SystemConfig deployment in $run_json"
last_tx="$(jq -er '.transactions | last | .hash' "$run_json")" || die "no transactions in $run_json"

# Read everything back from the chain: the receipt of the last deploy transaction and its block.
receipt="$(cast receipt "$last_tx" --json --rpc-url "$RPC_URL")" || die "cast receipt $last_tx failed"
[[ "$(jq -r '.status' <<<"$receipt")" == 0x1 ]] || die "deploy transaction $last_tx failed on L1: $receipt"
block_number="$(($(jq -er '.blockNumber' <<<"$receipt")))"
block_json="$(cast block "$block_number" --json --rpc-url "$RPC_URL")" || die "cast block $block_number failed"
block_hash="$(jq -er '.hash' <<<"$block_json")"
block_timestamp="$(($(jq -er '.timestamp' <<<"$block_json")))"
inbox="$(cast call "$system_config" 'batchInbox()(address)' --rpc-url "$RPC_URL")" ||
  die "SystemConfig.batchInbox() at $system_config failed"
[[ -n "$(cast code "$portal" --rpc-url "$RPC_URL" | sed 's/^0x$//')" ]] || die "no code at TRexPortal $portal"

jq -n \
  --argjson l1ChainId "$L1_CHAIN_ID" \
  --arg portal "$portal" \
  --arg systemConfig "$system_config" \
  --arg inbox "$(tr 'A-F' 'a-f' <<<"$inbox")" \
  --argjson number "$block_number" \
  --arg hash "$block_hash" \
  --argjson timestamp "$block_timestamp" \
  '{l1ChainId: $l1ChainId, TRexPortal: $portal, SystemConfig: $systemConfig, batchInbox: $inbox,
    deployBlock: {number: $number, hash: $hash, timestamp: $timestamp}}' >"$OUT_JSON.tmp"
mv "$OUT_JSON.tmp" "$OUT_JSON"
log "TRexPortal $portal, SystemConfig $system_config, deploy block $block_number ($block_hash); wrote $OUT_JSON"
