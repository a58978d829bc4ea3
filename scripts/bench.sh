#!/usr/bin/env bash
# Benchmark a fresh three-node cluster with `coupon bench` and print the figures.
#
#   scripts/bench.sh           both workloads, each with writes spread over every node and with
#                              writes sent to the leader; a table
#   scripts/bench.sh --json    only one JSON object on stdout:
#     {"spread": {"redeems_per_s", "p50_ms", "p99_ms", "errors"},
#      "hot": {"granted", "seconds_to_exhaust", "p99_ms"}}
#
# The cluster has its own directory and ports, so it never collides with a dev cluster of
# scripts/cluster.sh; it is stopped (by pid) when the script ends, also on error or Ctrl-C.
# Exit status: 0, or 1 when anything failed, including `hot` not granting exactly its limit.
#
# Environment:
#   BENCH_CLUSTER_DIR=./target/bench-cluster   wiped at the start
#   BENCH_API_PORT_BASE=18080  BENCH_PEER_PORT_BASE=19080
#   BENCH_DURATION=10s  BENCH_WARMUP=1s  BENCH_CONCURRENCY=64  BENCH_COUPONS=10000
#   BENCH_HOT_LIMIT=1000
#   BENCH_LEADER_HINT=off|on|both   default: both for the table, off for --json (the spread
#                                   workload: requests over all nodes)
#   COUPON_NODE_BIN, COUPON_BIN     the node and CLI binaries to run (default: build and run
#                                   target/release/{coupon-node,coupon}; with both set, nothing
#                                   is built, so two builds can be compared in alternating runs)
#   COUPON_*                        passed to the nodes (see scripts/cluster.sh)
#   CLUSTER_OPEN=1                  run the nodes without keys (the default: coupons created with
#                                   the admin key, the load sent with a storefront key)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JSON=0
case "${1:-}" in
"") ;;
--json) JSON=1 ;;
*)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 64
    ;;
esac

export CLUSTER_DIR="${BENCH_CLUSTER_DIR:-$ROOT/target/bench-cluster}"
export API_PORT_BASE="${BENCH_API_PORT_BASE:-18080}"
export PEER_PORT_BASE="${BENCH_PEER_PORT_BASE:-19080}"
# The node's per-client rate limit keys clients by address, and all 64 benchmark clients share
# 127.0.0.1: the limit would measure itself, not the cluster. A real shop has many addresses.
export COUPON_RATE_LIMIT_PER_SECOND="${COUPON_RATE_LIMIT_PER_SECOND:-0}"
CLUSTER="$ROOT/scripts/cluster.sh"
if ((JSON)); then HINT="${BENCH_LEADER_HINT:-off}"; else HINT="${BENCH_LEADER_HINT:-both}"; fi
if ((JSON)) && [[ "$HINT" == both ]]; then
    echo "bench.sh: --json reports one setting: BENCH_LEADER_HINT=off or on" >&2
    exit 64
fi

say() { echo "bench.sh: $*" >&2; }

stop_cluster() {
    if [[ -f "$CLUSTER_DIR/cluster.env" ]]; then "$CLUSTER" stop >/dev/null 2>&1 || true; fi
}

NODE_BIN="${COUPON_NODE_BIN:-$ROOT/target/release/coupon-node}"
CLI_BIN="${COUPON_BIN:-$ROOT/target/release/coupon}"
if [[ -z "${COUPON_NODE_BIN:-}" || -z "${COUPON_BIN:-}" ]]; then
    say "building release binaries"
    (cd "$ROOT" && cargo build --release -p coupon-node -p coupon-client --bin coupon-node --bin coupon >&2)
fi

# A running benchmark cluster left by an interrupted run is stopped before its data is wiped.
stop_cluster
rm -rf "$CLUSTER_DIR"
trap stop_cluster EXIT
trap 'exit 130' INT TERM

NODES_LIST="$(COUPON_NODE_BIN="$NODE_BIN" "$CLUSTER" start 3 | paste -sd, -)"
say "cluster ready: $NODES_LIST"
# With keys (the default), the coupons are created with the admin key and the load is sent with
# a storefront key, as a shop's checkout would; CLUSTER_OPEN=1 runs the nodes without keys.
if [[ -s "$CLUSTER_DIR/admin.key" ]]; then
    export COUPON_API_KEY="$(<"$CLUSTER_DIR/admin.key")"
    created="$("$CLI_BIN" --nodes "$NODES_LIST" --json keys create --role storefront --label bench)"
    COUPON_BENCH_LOAD_KEY="$(sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' <<<"$created")"
    [[ -n "$COUPON_BENCH_LOAD_KEY" ]] || { say "cannot create the storefront key: $created"; exit 1; }
    export COUPON_BENCH_LOAD_KEY
fi

args=(--nodes "$NODES_LIST")
if ((JSON)); then args+=(--json); fi
args+=(bench all --leader-hint "$HINT"
    --duration "${BENCH_DURATION:-10s}" --warmup "${BENCH_WARMUP:-1s}"
    --concurrency "${BENCH_CONCURRENCY:-64}" --coupons "${BENCH_COUPONS:-10000}"
    --hot-limit "${BENCH_HOT_LIMIT:-1000}")
if ((JSON)); then args+=(--summary); fi
"$CLI_BIN" "${args[@]}"
