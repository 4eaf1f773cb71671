#!/usr/bin/env bash
# Identity acceptance against a running devnet (deploy/devnet.sh, with trex-validator and the
# identity predeploys): the same flow through the Rust SDK (crates/sdk/examples/devnet_flow.rs)
# and the TypeScript SDK (sdk/ts/examples/devnet-flow.mjs). Each creates a passport for a fresh
# key, links an EVM wallet and a Solana key, earns an NFT-holding badge and a Twitch-followers
# zkTLS badge, logs in with its DID and checks every listed rejection; each exits non-zero on any
# unexpected result, and so does this script.
#
# Usage: deploy/identity-acceptance.sh [rust|ts]   (both by default)
# Reads .devnet/devnet.json; TREX_RPC, TREX_VALIDATOR_URL, TREX_FUNDER_KEY override it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WHICH="${1:-both}"
export TREX_DEVNET_INFO="${TREX_DEVNET_INFO:-$ROOT/.devnet/devnet.json}"

log() { printf '\n== %s\n' "$*"; }

if [[ -z "${TREX_RPC:-}" && ! -f "$TREX_DEVNET_INFO" ]]; then
  echo "no devnet: start deploy/devnet.sh first (or set TREX_RPC, TREX_VALIDATOR_URL, TREX_FUNDER_KEY)" >&2
  exit 1
fi

if [[ "$WHICH" == both || "$WHICH" == rust ]]; then
  log "Rust SDK: cargo run -p trex-sdk --example devnet_flow"
  (cd "$ROOT" && cargo run --quiet -p trex-sdk --example devnet_flow)
fi

if [[ "$WHICH" == both || "$WHICH" == ts ]]; then
  log "TypeScript SDK: node sdk/ts/examples/devnet-flow.mjs"
  if [[ ! -d "$ROOT/sdk/ts/node_modules/viem" ]]; then
    (cd "$ROOT/sdk/ts" && npm install --ignore-scripts --no-audit --no-fund)
  fi
  node "$ROOT/sdk/ts/examples/devnet-flow.mjs"
fi

log "identity acceptance passed ($WHICH)"
