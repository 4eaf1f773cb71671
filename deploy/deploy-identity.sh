#!/usr/bin/env bash
# Deploys or initialises T-Rex Chain's identity contracts (TRexPassport, TRexBadge behind ERC1967
# proxies) with contracts/script/DeployIdentity.s.sol, checks the result on chain and writes
#
#   {"chainId":N,"TRexPassport":"0x…","TRexBadge":"0x…",
#    "TRexPassportImplementation":"0x…","TRexBadgeImplementation":"0x…"}
#
# to OUT_JSON. Two modes:
#   deploy (default)  any EVM chain: new implementations and proxies (DeployIdentity). Not
#                     idempotent: every run deploys new contracts.
#   --init            a T-Rex testnet or mainnet L2: initialises the genesis predeploys, which are
#                     left uninitialised (InitIdentity). Runs once; anyone can call `initialize`,
#                     so run it as the chain's first transaction, before its RPC is public
#                     (docs/identity-contracts.md). The devnet's are initialised in its genesis.
#
# Usage: deploy/deploy-identity.sh [--init] <rpc-url> <out.json>
# Environment (see docs/identity-contracts.md):
#   TREX_DEPLOYER_KEY           sends the transactions; required except on anvil (31337) and the
#                               devnet (31628), where it defaults to anvil's account 0
#   TREX_IDENTITY_ADMIN         receives DEFAULT_ADMIN_ROLE, PAUSER_ROLE, UPGRADER_ROLE on both
#                               contracts (default: the deployer, which otherwise renounces them)
#   TREX_IDENTITY_VALIDATORS    comma-separated VALIDATOR_ROLE holders (anvil/devnet default:
#                               account 9; elsewhere none; set but empty: none)
#   TREX_IDENTITY_TASK_ISSUERS  comma-separated TASK_ISSUER_ROLE holders (anvil/devnet default:
#                               account 0; elsewhere none)
#   TREX_IDENTITY_PASSPORT, TREX_IDENTITY_BADGE   --init only: the proxies, when not the
#                               predeploys of the chain the RPC serves
# Needs: deploy/install-tools.sh run first (forge, cast); jq (installed with apt if absent).
set -euo pipefail
SCRIPT_NAME="deploy-identity"
# shellcheck source=deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

USAGE="usage: deploy/deploy-identity.sh [--init] <rpc-url> <out.json>"
CONTRACT=DeployIdentity
if [[ "${1:-}" == --init ]]; then
  CONTRACT=InitIdentity
  shift
fi
[[ $# -eq 2 && "$1" != -* ]] || die "$USAGE"
RPC_URL="$1"
OUT_JSON="$2"
forge_deploy_setup "$OUT_JSON"

CHAIN_ID="$(chain_id "$RPC_URL")" || die "no RPC answers eth_chainId at $RPC_URL"
log "chain $CHAIN_ID at $RPC_URL: running $CONTRACT"

# --json prints one JSON object per line; the script logs `deployment <json>`, found in the
# "logs" of the simulation's line. Any error goes to forge.log.
if ! (cd "$ROOT/contracts" &&
  FOUNDRY_BROADCAST="$work/broadcast" forge script "script/DeployIdentity.s.sol:$CONTRACT" \
    --rpc-url "$RPC_URL" --broadcast --slow --json >"$work/forge.json" 2>"$work/forge.log"); then
  die "forge script failed:
$(last_lines "$work/forge.log" 40)"
fi
deployment="$(jq -c 'select(type == "object" and .logs != null) | .logs[]
  | select(startswith("deployment ")) | ltrimstr("deployment ") | fromjson' "$work/forge.json")" || true
[[ -n "$deployment" ]] || die "forge script logged no deployment:
$(last_lines "$work/forge.log" 20)"

run_json="$work/broadcast/DeployIdentity.s.sol/$CHAIN_ID/run-latest.json"
[[ -s "$run_json" ]] || die "forge script wrote no broadcast record at $run_json"
failed="$(jq -r '[.receipts[] | select(.status != "0x1") | .transactionHash] | join(" ")' "$run_json")"
[[ -z "$failed" ]] || die "transactions failed on chain $CHAIN_ID: $failed"

# Read everything back from the chain rather than trusting the simulation.
field() { jq -er --arg k "$1" '.[$k]' <<<"$deployment"; }
passport="$(field TRexPassport)"
badge="$(field TRexBadge)"
admin="${TREX_IDENTITY_ADMIN:-}"
if [[ -z "$admin" ]]; then
  key="${TREX_DEPLOYER_KEY:-0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80}"
  admin="$(cast wallet address --private-key "$key")" || die "TREX_DEPLOYER_KEY is not a private key"
fi
for contract in TRexPassport TRexBadge TRexPassportImplementation TRexBadgeImplementation; do
  address="$(field "$contract")"
  [[ -n "$(cast code "$address" --rpc-url "$RPC_URL" | sed 's/^0x$//')" ]] ||
    die "no code at $contract $address"
done
call() { cast call "$1" "$2" "${@:3}" --rpc-url "$RPC_URL"; }
[[ "$(call "$passport" 'badgeContract()(address)' | tr 'A-F' 'a-f')" == "$(tr 'A-F' 'a-f' <<<"$badge")" ]] ||
  die "TRexPassport $passport: badgeContract() is not $badge"
zero_role=0x0000000000000000000000000000000000000000000000000000000000000000
for proxy in "$passport" "$badge"; do
  [[ "$(call "$proxy" 'hasRole(bytes32,address)(bool)' "$zero_role" "$admin")" == true ]] ||
    die "$admin does not hold DEFAULT_ADMIN_ROLE on $proxy"
done

jq '.' <<<"$deployment" >"$OUT_JSON.tmp"
mv "$OUT_JSON.tmp" "$OUT_JSON"
log "TRexPassport $passport, TRexBadge $badge (admin $admin); wrote $OUT_JSON"
