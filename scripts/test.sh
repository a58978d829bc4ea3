#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, the native test suites (unit, storage
# contract, HTTP, cluster, client and CLI against real local clusters) and the deterministic
# simulation. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "formatting"
cargo fmt --all -- --check

step "lints"
cargo clippy --workspace --exclude coupon-simulation --all-targets --locked -- -D warnings
# The simulation crate builds only under --cfg madsim, in the simulation's own target dir (about
# 4 minutes on a fresh clone); the node's and raft-store's madsim-only code is linted with it.
RUSTFLAGS="--cfg madsim" CARGO_TARGET_DIR=target/sim CARGO_PROFILE_DEV_OPT_LEVEL=1 \
  cargo clippy -p coupon-simulation --all-targets --locked -- -D warnings

step "native tests"
cargo test --locked

if [[ -x scripts/sim.sh ]]; then
  step "deterministic simulation"
  scripts/sim.sh
fi

# Power cuts on LazyFS (scripts/chaos.sh --power-loss, about 2-3 minutes): 8 cycles, in turn 3 of
# every node, 3 of a majority, 1 of the leader and 1 torn write on the Raft log of a majority or
# of all; it fails if an acknowledged redeem is missing, a limit is exceeded, a redeem applied
# twice or the replicas differ. It runs the debug binaries `cargo test` built (a release build
# would take minutes more); COUPON_NODE_BIN runs another node. Without FUSE it is skipped, except
# under CI=true, where it fails.
step "power loss (LazyFS)"
cargo build --locked -q -p coupon-node -p coupon-client
COUPON_NODE_BIN="${COUPON_NODE_BIN:-$PWD/target/debug/coupon-node}" COUPON_BIN="$PWD/target/debug/coupon" \
  CUTS=8 RUN_LIMIT_S=300 scripts/chaos.sh --power-loss

# Network partitions (scripts/chaos.sh --partitions, about 45 s with these binaries): each node on
# its own loopback address, links cut by nftables rules, the same checks. Without root or nft (after
# trying to install it) it is skipped, except under CI=true, where it fails.
step "network partitions (nftables)"
# nft is a Debian package: a fresh machine (CI's included) gets it here when it runs as root.
if [[ "$(id -u)" == 0 ]] && ! command -v nft >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables; } >/dev/null ||
    echo "could not install nftables"
fi
COUPON_NODE_BIN="${COUPON_NODE_BIN:-$PWD/target/debug/coupon-node}" COUPON_BIN="$PWD/target/debug/coupon" \
  scripts/chaos.sh --partitions

step "all tests passed"
