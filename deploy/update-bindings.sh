#!/usr/bin/env bash
# Rebuilds the Foundry project in contracts/ and writes the trimmed artifacts the Rust bindings
# (crates/bindings, `trex-bindings`) compile from, so `cargo build` never needs forge:
#
#   crates/bindings/artifacts/<Contract>.json = { abi, bytecode.object, deployedBytecode.object }
#
# Usage: deploy/update-bindings.sh [--out-dir DIR]
#   --out-dir DIR  write the artifacts to DIR instead of crates/bindings/artifacts and build into
#                  a scratch directory, leaving contracts/out and contracts/cache untouched
#                  (deploy/check-bindings.sh uses this to compare a fresh build with the commit).
# Needs: deploy/install-tools.sh run first (forge and solc in .tools/bin).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONTRACTS_DIR="$ROOT/contracts"
ARTIFACTS_DIR="$ROOT/crates/bindings/artifacts"
FORGE="$ROOT/.tools/bin/forge"

# Contracts exported to Rust, as "<source file under contracts/src>:<contract name>".
EXPORTED=(
  "examples/DevToken.sol:DevToken"
  "examples/DemoNFT.sol:DemoNFT"
  "examples/DemoMultiToken.sol:DemoMultiToken"
  "examples/DemoToken.sol:DemoToken"
  "examples/InteractionTarget.sol:InteractionTarget"
  "identity/TRexPassport.sol:TRexPassport"
  "identity/TRexBadge.sol:TRexBadge"
  "ERC1967/ERC1967Proxy.sol:ERC1967Proxy"
)

log() { printf 'update-bindings: %s\n' "$*" >&2; }
die() {
  printf 'update-bindings: error: %s\n' "$*" >&2
  exit 1
}

out_dir="$ARTIFACTS_DIR"
scratch=""
while (($# > 0)); do
  case "$1" in
    --out-dir)
      (($# >= 2)) || die "--out-dir needs a directory"
      out_dir="$2"
      shift 2
      ;;
    -h | --help)
      sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

[[ -x "$FORGE" && -x "$ROOT/.tools/bin/solc" ]] ||
  die "forge or solc missing in .tools/bin; run deploy/install-tools.sh first"

build_args=()
if [[ "$out_dir" != "$ARTIFACTS_DIR" ]]; then
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  build_args=(--out "$scratch/out" --cache-path "$scratch/cache")
  forge_out="$scratch/out"
else
  forge_out="$CONTRACTS_DIR/out"
fi

log "forge build in contracts/ ..."
# forge resolves the relative `solc` path in foundry.toml against the working directory.
(cd "$CONTRACTS_DIR" && "$FORGE" build --skip test --skip script "${build_args[@]}" >&2) ||
  die "forge build failed"

mkdir -p "$out_dir"
for entry in "${EXPORTED[@]}"; do
  file="${entry%%:*}"
  name="${entry##*:}"
  artifact="$forge_out/$(basename "$file")/$name.json"
  [[ -f "$artifact" ]] || die "forge produced no artifact $artifact for $entry"
  node - "$artifact" "$out_dir/$name.json" <<'EOF' || die "cannot extract $artifact"
// Keeps only what alloy's sol! macro reads; bytecode must be fully linked (no library placeholders).
const fs = require('fs');
const [src, dest] = process.argv.slice(2);
const a = JSON.parse(fs.readFileSync(src, 'utf8'));
for (const key of ['bytecode', 'deployedBytecode']) {
  const code = a[key] && a[key].object;
  if (typeof code !== 'string' || !/^0x([0-9a-f]{2})+$/.test(code)) {
    throw new Error(`${src}: ${key}.object is missing, empty or not linked`);
  }
}
const trimmed = {
  abi: a.abi,
  bytecode: { object: a.bytecode.object },
  deployedBytecode: { object: a.deployedBytecode.object },
};
fs.writeFileSync(dest, JSON.stringify(trimmed, null, 2) + '\n');
EOF
  log "wrote $out_dir/$name.json"
done
