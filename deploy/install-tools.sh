#!/usr/bin/env bash
# Installs the pinned developer tools into the repository's gitignored `.tools/` folder, from the
# npm registry only (no other host is needed):
#
#   .tools/bin/forge, .tools/bin/anvil, .tools/bin/cast  Foundry 1.7.1 (@foundry-rs/*-linux-amd64)
#   .tools/bin/solc                                      deploy/tools/solc.js, backed by npm `solc`
#   contracts/node_modules/@openzeppelin/contracts       OpenZeppelin Contracts 5
#
# Versions are pinned in deploy/tools/package.json and contracts/package.json and locked with
# integrity hashes in the package-lock.json beside each; `npm ci` installs exactly those.
# Idempotent: a step whose lock file is unchanged since its last successful install is skipped,
# so a warm run only re-checks the installed versions.
#
# Usage: deploy/install-tools.sh            then: export PATH="$PWD/.tools/bin:$PATH"
# Needs: Linux x86_64, node >= 20 and npm.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_PKG="$ROOT/deploy/tools"
TOOLS_DIR="$ROOT/.tools"
NPM_DIR="$TOOLS_DIR/npm"
BIN_DIR="$TOOLS_DIR/bin"
CONTRACTS_DIR="$ROOT/contracts"
STAMP_NAME=".trex-install-stamp"

log() { printf 'install-tools: %s\n' "$*"; }
die() {
  printf 'install-tools: error: %s\n' "$*" >&2
  exit 1
}
trap 'die "command failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

START_MS=$(($(date +%s%N) / 1000000))

# --- prerequisites -----------------------------------------------------------------------------
[[ "$(uname -s)" == Linux && "$(uname -m)" == x86_64 ]] ||
  die "only Linux x86_64 is supported (the Foundry packages pinned are the linux-amd64 builds); this is $(uname -s) $(uname -m)"
command -v node >/dev/null || die "node is not on PATH; install Node.js >= 20 (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null || die "npm is not on PATH; install npm (Debian: apt-get install npm)"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
((NODE_MAJOR >= 20)) || die "node $(node --version) is too old; Node.js >= 20 is needed"

# Reads a pinned dependency version from a package.json.
pinned() { node -p "require(process.argv[1]).dependencies[process.argv[2]]" "$1" "$2"; }
FOUNDRY_VERSION="$(pinned "$TOOLS_PKG/package.json" @foundry-rs/forge-linux-amd64)"
SOLC_VERSION="$(pinned "$TOOLS_PKG/package.json" solc)"
OZ_VERSION="$(pinned "$CONTRACTS_DIR/package.json" @openzeppelin/contracts)"

# Installs the npm project described by package.json + package-lock.json in $1 into $2 with
# `npm ci`, unless $2 already holds an install of exactly that lock file and every file named
# after the third argument (relative to $2/node_modules) is still there.
npm_install() {
  local src="$1" dest="$2" what="$3" stamp file complete=1
  shift 3
  stamp="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)"
  for file in "$@"; do [[ -e "$dest/node_modules/$file" ]] || complete=0; done
  if ((complete)) && [[ -f "$dest/node_modules/$STAMP_NAME" &&
    "$(cat "$dest/node_modules/$STAMP_NAME")" == "$stamp" ]]; then
    log "$what: up to date in ${dest#"$ROOT"/}/node_modules"
    return
  fi
  log "$what: npm ci into ${dest#"$ROOT"/}/node_modules ..."
  mkdir -p "$dest"
  if [[ "$src" != "$dest" ]]; then
    cp "$src/package.json" "$src/package-lock.json" "$dest/"
  fi
  # --ignore-scripts: none of the pinned packages needs an install script; running none keeps the
  # install to unpacking the locked tarballs.
  npm ci --prefix "$dest" --ignore-scripts --no-audit --no-fund --loglevel=error ||
    die "$what: npm ci failed in $dest (is the npm registry reachable?)"
  echo "$stamp" >"$dest/node_modules/$STAMP_NAME"
  log "$what: installed"
}

# --- tools: Foundry binaries and solc-js --------------------------------------------------------
npm_install "$TOOLS_PKG" "$NPM_DIR" "foundry $FOUNDRY_VERSION + solc-js $SOLC_VERSION" \
  @foundry-rs/forge-linux-amd64/bin/forge @foundry-rs/anvil-linux-amd64/bin/anvil \
  @foundry-rs/cast-linux-amd64/bin/cast solc/soljson.js

mkdir -p "$BIN_DIR"
# The @foundry-rs/<tool>-linux-amd64 packages ship the native executable at bin/<tool>.
for tool in forge anvil cast; do
  target="../npm/node_modules/@foundry-rs/$tool-linux-amd64/bin/$tool"
  [[ -x "$BIN_DIR/$target" ]] || die "$tool: $NPM_DIR/node_modules/@foundry-rs/$tool-linux-amd64/bin/$tool is missing or not executable"
  ln -sfn "$target" "$BIN_DIR/$tool"
done
# solc.js resolves solc-js relative to its own real location, so a symlink is enough.
ln -sfn ../../deploy/tools/solc.js "$BIN_DIR/solc"

# --- contracts: OpenZeppelin --------------------------------------------------------------------
npm_install "$CONTRACTS_DIR" "$CONTRACTS_DIR" "@openzeppelin/contracts $OZ_VERSION" \
  @openzeppelin/contracts/package.json @openzeppelin/contracts/token/ERC20/ERC20.sol

# --- the TypeScript SDK's dependencies (viem), for its tests -------------------------------------
npm_install "$ROOT/sdk/ts" "$ROOT/sdk/ts" "TypeScript SDK (viem)" viem/package.json

# --- verify what is on disk answers with the pinned versions ------------------------------------
check_version() {
  local tool="$1" want="$2" out
  out="$("$BIN_DIR/$tool" --version 2>&1)" || die "$tool --version failed: $out"
  grep -qF -- "$want" <<<"$out" || die "$tool --version does not report $want: $out"
  log "$tool: $(grep -m1 -F -- "$want" <<<"$out")"
}
for tool in forge anvil cast; do check_version "$tool" "Version: $FOUNDRY_VERSION"; done
check_version solc "Version: $SOLC_VERSION+"
[[ -f "$CONTRACTS_DIR/node_modules/@openzeppelin/contracts/token/ERC20/ERC20.sol" ]] ||
  die "@openzeppelin/contracts: ERC20.sol missing under contracts/node_modules"
OZ_INSTALLED="$(node -p 'require(process.argv[1]).version' "$CONTRACTS_DIR/node_modules/@openzeppelin/contracts/package.json")"
[[ "$OZ_INSTALLED" == "$OZ_VERSION" ]] || die "@openzeppelin/contracts: installed $OZ_INSTALLED, pinned $OZ_VERSION"
log "@openzeppelin/contracts: $OZ_INSTALLED"

ELAPSED_MS=$(($(date +%s%N) / 1000000 - START_MS))
log "done in $((ELAPSED_MS / 1000)).$(printf '%03d' $((ELAPSED_MS % 1000)))s; add the tools to PATH with:"
log "  export PATH=\"$BIN_DIR:\$PATH\""
