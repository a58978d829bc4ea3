#!/usr/bin/env bash
# Fuzz one local node's HTTP API against its own OpenAPI document with schemathesis: every
# operation, the cluster membership routes too (a single node refuses to remove itself, its init
# answers that it is initialised, and an add dials only a dead loopback port), with every
# check (`--checks all`), as the admin key (`Authorization: Bearer`, given to schemathesis as the
# document's bearer scheme).
#
#   scripts/schemathesis.sh [schemathesis run options...]    e.g. --seed 1 --max-examples 50
#
# It starts a fresh single node with scripts/cluster.sh (its own CLUSTER_DIR and ports, so it
# leaves any other local cluster alone), installs schemathesis into a venv under target/ when it
# is missing (pip, from PyPI), runs it, and stops the node whatever happens. The exit code is
# schemathesis's: 0 when it found nothing. scripts/schemathesis_hooks.py gives each valid
# Idempotency-Key the fuzzer draws a suffix of its own: one key with two requests is refused by
# design, a rule of state that JSON Schema cannot say (the file says why).
#
# Environment:
#   CLUSTER_DIR=./target/schemathesis/cluster   the node's data and log (wiped at each start)
#   API_PORT_BASE=18180, PEER_PORT_BASE=19180   the node serves its API on API_PORT_BASE + 1
#   COUPON_NODE_BIN         the node binary (default: `cargo build -p coupon-node`, the debug one)
#   SCHEMATHESIS_VENV=./target/schemathesis-venv
#   SCHEMATHESIS_VERSION    a version to install (default: the newest)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CLUSTER_DIR="${CLUSTER_DIR:-$ROOT/target/schemathesis/cluster}"
export API_PORT_BASE="${API_PORT_BASE:-18180}"
export PEER_PORT_BASE="${PEER_PORT_BASE:-19180}"
# The fuzzer sends far more than a shop would; the rate limit would answer most of it with 429.
export COUPON_RATE_LIMIT_PER_SECOND="${COUPON_RATE_LIMIT_PER_SECOND:-1000000}"
export COUPON_RATE_LIMIT_BURST="${COUPON_RATE_LIMIT_BURST:-1000000}"
VENV="${SCHEMATHESIS_VENV:-$ROOT/target/schemathesis-venv}"

say() { echo "schemathesis.sh: $*" >&2; }

if [[ ! -x "$VENV/bin/schemathesis" ]]; then
    say "installing schemathesis into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "schemathesis${SCHEMATHESIS_VERSION:+==$SCHEMATHESIS_VERSION}"
fi

if [[ -z "${COUPON_NODE_BIN:-}" ]]; then
    say "building coupon-node (debug)"
    (cd "$ROOT" && cargo build -p coupon-node >&2)
    export COUPON_NODE_BIN="$ROOT/target/debug/coupon-node"
fi

stop() { "$ROOT/scripts/cluster.sh" stop || true; }
trap stop EXIT
rm -rf "$CLUSTER_DIR"
unset COUPON_ADMIN_KEY CLUSTER_OPEN
"$ROOT/scripts/cluster.sh" start 1 >/dev/null
key="$(cat "$CLUSTER_DIR/admin.key")"
api="http://127.0.0.1:$((API_PORT_BASE + 1))"

say "fuzzing $api"
export SCHEMATHESIS_HOOKS=schemathesis_hooks
# Where the hooks send a member's addresses: a port of the peer range that no node listens on.
export SCHEMATHESIS_DEAD_ADDR="127.0.0.1:$((PEER_PORT_BASE + 49))"
export PYTHONPATH="$ROOT/scripts${PYTHONPATH:+:$PYTHONPATH}"
# The admin key as the document's `bearer` scheme, not as a plain -H header: schemathesis then
# knows it is the credential, and its checks that leave it out really send no Authorization
# (a -H header it cannot take away, so they would see every such request accepted).
config="$CLUSTER_DIR/schemathesis.toml"
printf '[auth.openapi.bearer]\nbearer = "${SCHEMATHESIS_BEARER}"\n' >"$config"
export SCHEMATHESIS_BEARER="$key"
# The hooks read a coupon's currency from the node (what a client knows of the coupon it sells).
export SCHEMATHESIS_BASE_URL="$api"
# The document itself needs the key too: fetched here, and handed over as a file. schemathesis
# keeps its cache in the working directory: the cluster directory, under target/.
cd "$CLUSTER_DIR"
curl -sSf -H "Authorization: Bearer $key" "$api/openapi.json" -o "$CLUSTER_DIR/openapi.json"
"$VENV/bin/schemathesis" --config-file "$config" run "$CLUSTER_DIR/openapi.json" --url "$api" \
    --checks all \
    "$@"
