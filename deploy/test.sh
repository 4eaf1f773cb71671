#!/usr/bin/env bash
# Runs the whole T-Rex test suite, from a fresh clone on a fresh machine:
#
#   1. deploy/install-tools.sh          forge/anvil/cast/solc into .tools/bin, OpenZeppelin
#   2. cargo-nextest                     installed with cargo only if absent
#   3. PostgreSQL at 127.0.0.1:5432      checked; installed and started with apt if it does not answer
#   4. forge test                        the Solidity tests in contracts/, then the solc wrapper's
#                                        node tests, the TypeScript SDK's tests and the bindings
#                                        and predeploy drift checks
#   5. cargo nextest run --workspace     every Rust test, including the sequencer's integration
#                                        tests (forge/cast/viem against a real trex-sequencer), the
#                                        batcher's and DA bridge's, and crates/e2e: the whole rollup
#                                        pipeline as real processes (anvil, DA bridge, sequencer,
#                                        batcher, replica; each test its own Postgres database)
#   6. deploy/devnet-smoke.sh            deploy/devnet.sh started detached, checked, the identity
#                                        acceptance flows run through both SDKs, and stopped
#
# Usage: deploy/test.sh [extra cargo nextest arguments]
#   deploy/test.sh -E 'not test(/net_/)'     skip the tests that need the npm registry
#   deploy/test.sh -p trex-sequencer         one package
# Environment: CARGO_TARGET_DIR (default ~/.cache/trex-target); CI=true selects the `ci` nextest
# profile. Exits non-zero if any step fails.
set -euo pipefail
SCRIPT_NAME="test"
# shellcheck source=deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
# A test run builds each crate once: rustc's incremental caches would only fill the disk (they
# grew to 28 GB in one day of runs from two checkouts sharing the target directory).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n%s: === %s ===\n' "$SCRIPT_NAME" "$*" >&2; }
FAILED=()

# --- 1. tools ---------------------------------------------------------------------------------------
step "installing tools (deploy/install-tools.sh)"
"$ROOT/deploy/install-tools.sh" || die "deploy/install-tools.sh failed; nothing was tested"
use_tools

# --- 2. cargo-nextest -------------------------------------------------------------------------------
USE_NEXTEST=1
if ! cargo nextest --version >/dev/null 2>&1; then
  step "installing cargo-nextest (cargo install --locked cargo-nextest)"
  if ! cargo install --locked cargo-nextest; then
    warn "cargo-nextest could not be installed; falling back to cargo test (no per-test timeouts)"
    USE_NEXTEST=0
  fi
fi

# --- 3. PostgreSQL ----------------------------------------------------------------------------------
step "checking PostgreSQL at 127.0.0.1:5432"
ensure_postgres
log "PostgreSQL answers at 127.0.0.1:5432"
step "checking NATS JetStream at 127.0.0.1:4222 and Chromium (persona engine pipeline and page tests)"
ensure_nats
ensure_apt_package chromium chromium

# --- 4. forge test ----------------------------------------------------------------------------------
step "forge test (contracts/)"
if ! (cd "$ROOT/contracts" && forge test); then
  FAILED+=("forge test")
fi

# --- 4b. solc wrapper and bindings ---------------------------------------------------------------
step "solc wrapper tests (node --test deploy/tools/)"
if ! node --test "$ROOT/deploy/tools/"; then
  FAILED+=("node --test deploy/tools/")
fi
step "TypeScript SDK tests (npm test in sdk/ts, against a throwaway anvil)"
if ! (cd "$ROOT/sdk/ts" && npm test); then
  FAILED+=("sdk/ts npm test")
fi
step "committed contract bindings match a fresh forge build (deploy/check-bindings.sh)"
if ! "$ROOT/deploy/check-bindings.sh"; then
  FAILED+=("deploy/check-bindings.sh")
fi
node "$ROOT/deploy/tools/predeploys.mjs" --check || FAILED+=("deploy/tools/predeploys.mjs --check (genesis predeploys out of date)")

# --- 5. Rust tests ----------------------------------------------------------------------------------
step "Rust tests (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
# The end-to-end tests start the workspace's binaries as processes: build them all first.
cargo build --locked --workspace --bins || FAILED+=("cargo build --workspace --bins")
if ((USE_NEXTEST)); then
  PROFILE=default
  [[ "${CI:-}" == true ]] && PROFILE=ci
  NEXTEST_LOG="$(mktemp)"
  set +e
  cargo nextest run --workspace --profile "$PROFILE" "$@" 2>&1 | tee "$NEXTEST_LOG"
  NEXTEST_STATUS=${PIPESTATUS[0]}
  set -e
  ((NEXTEST_STATUS == 0)) || FAILED+=("cargo nextest run --workspace")
  SUMMARY="$(grep -E '^ *Summary .* tests? run:' "$NEXTEST_LOG" | tail -n 1 || true)"
  rm -f "$NEXTEST_LOG"
else
  cargo test --workspace "$@" || FAILED+=("cargo test --workspace")
fi

# --- 6. the one-command devnet ------------------------------------------------------------------------
step "devnet smoke test (deploy/devnet.sh --detach / --stop with the binaries the tests built)"
if ! "$ROOT/deploy/devnet-smoke.sh" "$CARGO_TARGET_DIR/debug"; then
  FAILED+=("deploy/devnet-smoke.sh")
fi

# One plain closing line with the Rust test counts, for whoever reads only the end of the log.
if [[ -n "${SUMMARY:-}" ]]; then
  passed="$(sed -n 's/.* \([0-9]\{1,\}\) passed.*/\1/p' <<<"$SUMMARY")"
  failed="$(sed -n 's/.* \([0-9]\{1,\}\) failed.*/\1/p' <<<"$SUMMARY")"
  CLOSING="rust: ${passed:-0} passed, ${failed:-0} failed"
fi

if ((${#FAILED[@]})); then
  printf '%s: FAILED: %s\n' "$SCRIPT_NAME" "${FAILED[*]}" >&2
  [[ -z "${CLOSING:-}" ]] || echo "$CLOSING"
  exit 1
fi
log "all steps succeeded"
[[ -z "${CLOSING:-}" ]] || echo "$CLOSING"
