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

step "native tests"
cargo test --locked

if [[ -x scripts/sim.sh ]]; then
  step "deterministic simulation"
  scripts/sim.sh
fi

step "all tests passed"
