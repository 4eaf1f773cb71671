# T-Rex Chain developer commands (https://github.com/casey/just). `just` lists them.
# Every target calls the same scripts CI and the README use; nothing here is CI-only.

set shell := ["bash", "-euo", "pipefail", "-c"]
# Recipe arguments reach the scripts as "$@", quoting intact.
set positional-arguments

# Builds share one target dir outside the checkout (override with CARGO_TARGET_DIR).
export CARGO_TARGET_DIR := env("CARGO_TARGET_DIR", env("HOME") / ".cache/trex-target")

# List the targets.
default:
    @just --list

# Start the local devnet (anvil L1 + trex-sequencer L2): `just devnet --reset`, `just devnet --detach`, `just devnet --stop`.
devnet *ARGS:
    deploy/devnet.sh "$@"

# Run the whole test suite, as CI does; extra arguments go to cargo nextest, e.g. `just t -E 'not test(/net_/)'`.
t *ARGS:
    deploy/test.sh "$@"

# Lint: rustfmt check, clippy with warnings as errors, rustdoc warnings as errors.
l:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

# Build the workspace (all targets, debug).
b:
    cargo build --workspace --all-targets
