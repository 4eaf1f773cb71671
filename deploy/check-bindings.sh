#!/usr/bin/env bash
# Fails when the artifacts committed under crates/bindings/artifacts differ from a fresh forge
# build of contracts/, so the Rust bindings cannot drift silently from the Solidity sources.
# The fresh build goes to a scratch directory; nothing in the work tree is changed.
#
# Usage: deploy/check-bindings.sh        (after deploy/install-tools.sh)
# Fix a reported drift with deploy/update-bindings.sh and commit the result.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMMITTED="$ROOT/crates/bindings/artifacts"

fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT

"$ROOT/deploy/update-bindings.sh" --out-dir "$fresh"

if diff -ru "$COMMITTED" "$fresh" >"$fresh.diff" 2>&1; then
  rm -f "$fresh.diff"
  echo "check-bindings: crates/bindings/artifacts matches a fresh forge build"
else
  cut -c1-200 "$fresh.diff" | head -n 40 >&2
  rm -f "$fresh.diff"
  echo "check-bindings: error: crates/bindings/artifacts differs from a fresh forge build of contracts/;" \
    "run deploy/update-bindings.sh and commit the result" >&2
  exit 1
fi
