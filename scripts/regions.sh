#!/usr/bin/env bash
# A local cluster spread over three emulated regions, and the latency a client sees in each.
#
#   scripts/regions.sh             3 voters, one per region: eu, us, ap
#   VOTERS=5 scripts/regions.sh    5 voters: 2 in eu, 2 in us, 1 in ap
#
# Layout (scripts/cluster.sh with NODE_HOST_BASE=127.0.0.10, the address layout of
# scripts/chaos.sh --partitions): node i has the loopback address 127.0.0.1i of its own, serves
# its API on API_PORT_BASE+i and listens for peers on PEER_PORT_BASE+i there, and makes its own
# connections to peers from there. `coupon-wan-relay` listens on RELAY_PORT_BASE+i at the same
# address and forwards to node i's peer listener; every node advertises that front as its peer
# address (--advertise-peer-addr), so every link between two nodes, Raft and forwarding alike,
# passes through the relay. The relay knows a connection's region by its source address.
#
# Delays are ONE-WAY (a round trip is twice), the matrix of the simulation: 1 ms inside a
# region, 40 ms eu-us, 90 ms us-ap, 150 ms eu-ap; a new connection also pays for its handshake
# (its first bytes arrive 3 one-way delays after the connect). Clients are next to their node:
# `coupon bench` connects straight to that node's API, with no relay between them.
#
# Every node runs with --preferred-leader-region eu. The script waits until the leader is in eu,
# then runs, for each region in turn, `coupon bench spread` (redeems) and `coupon bench validate`
# (linearizable reads) against the first node of that region, and prints one row per client
# region: p50 and p99 of both beside the floor the matrix implies:
#   floor = (the client's node is the leader ? 0 : round trip from that node to the leader)
#           + the leader's round trip to the nearest quorum of voters (3 voters: its nearest
#             other voter; 5: its second nearest)
# The client's own hop to its node is loopback (0 in the matrix). A redeem also waits for a
# synced log write (a follower's, after the entry reached it; the leader's overlaps the round
# trip): that is measured on its own, a synced 4 KiB write in the cluster directory (dd
# oflag=dsync), printed, and added in the redeem's floor (FLOOR+SYNC); validate writes nothing.
#
# Raft timing: openraft 0.9 gives up on an AppendEntries (and a leader's read check) after one
# heartbeat interval, and a new eu-ap connection costs 4 one-way delays (600 ms) before its first
# answer, so the default heartbeat (100 ms) would never reach ap: the nodes run with
# COUPON_HEARTBEAT_MS=1000 and elections of 3-6 s unless the environment says otherwise.
#
# Environment:
#   VOTERS=3|5  REGIONS_CLUSTER_DIR=./target/regions (wiped at the start)
#   API_PORT_BASE=8880  PEER_PORT_BASE=9880  RELAY_PORT_BASE=10880
#   JITTER_PCT=0          the relay's jitter (each chunk's delay drawn within +-this %)
#   BENCH_DURATION=10s (whole seconds)  BENCH_WARMUP=3s  BENCH_CONCURRENCY=4  BENCH_COUPONS=32
#   LEADER_WAIT_S=120     bound on waiting for the leader to be in eu
#   RUN_LIMIT_S=900       bound on the whole run, builds apart
#   COUPON_NODE_BIN, COUPON_BIN, COUPON_WAN_RELAY_BIN   binaries to run (default: build and run
#                         target/release/{coupon-node,coupon,coupon-wan-relay})
#   COUPON_*              passed to the nodes (scripts/cluster.sh)
# Everything it started (relay, nodes) is stopped by pid when it ends, also on error or signal.
# Exit status: 0, 1 when a step failed, 64 on a bad setting.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${1:-}" in
"") ;;
*)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 64
    ;;
esac

say() { echo "regions.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

VOTERS="${VOTERS:-3}"
case "$VOTERS" in
3) REGION_OF=(eu us ap) ;;
5) REGION_OF=(eu eu us us ap) ;;
*) say "VOTERS must be 3 or 5, got '$VOTERS'"; exit 64 ;;
esac
REGIONS=(eu us ap)
PREFERRED=eu
export CLUSTER_DIR="${REGIONS_CLUSTER_DIR:-$ROOT/target/regions}"
export NODES="$VOTERS"
export API_PORT_BASE="${API_PORT_BASE:-8880}"
export PEER_PORT_BASE="${PEER_PORT_BASE:-9880}"
RELAY_PORT_BASE="${RELAY_PORT_BASE:-10880}"
export NODE_HOST_BASE=127.0.0.10
export NODE_REGIONS
NODE_REGIONS="$(IFS=,; echo "${REGION_OF[*]}")"
export PEER_ADVERTISE_PORT_BASE="$RELAY_PORT_BASE"
export COUPON_PREFERRED_LEADER_REGION="$PREFERRED"
export COUPON_HEARTBEAT_MS="${COUPON_HEARTBEAT_MS:-1000}"
export COUPON_ELECTION_TIMEOUT_MS_MIN="${COUPON_ELECTION_TIMEOUT_MS_MIN:-3000}"
export COUPON_ELECTION_TIMEOUT_MS_MAX="${COUPON_ELECTION_TIMEOUT_MS_MAX:-6000}"
# Every benchmark client shares one address: a per-client rate limit would measure itself.
export COUPON_RATE_LIMIT_PER_SECOND="${COUPON_RATE_LIMIT_PER_SECOND:-0}"
LEADER_WAIT_S="${LEADER_WAIT_S:-120}"
RUN_LIMIT_S="${RUN_LIMIT_S:-900}"
CLUSTER="$ROOT/scripts/cluster.sh"

# The one-way delay between two regions, in ms: the simulation's matrix.
one_way_ms() {
    case "$1:$2" in
    eu:eu | us:us | ap:ap) echo 1 ;;
    eu:us | us:eu) echo 40 ;;
    us:ap | ap:us) echo 90 ;;
    eu:ap | ap:eu) echo 150 ;;
    *) die "no delay between '$1' and '$2'" ;;
    esac
}
latency_flag() {
    local a b list=""
    for a in "${REGIONS[@]}"; do
        for b in "${REGIONS[@]}"; do
            if [[ ! "$a" > "$b" ]]; then list+="${list:+,}$a:$b=$(one_way_ms "$a" "$b")"; fi
        done
    done
    echo "$list"
}
node_host() { echo "${NODE_HOST_BASE%.*}.$((${NODE_HOST_BASE##*.} + $1))"; }
api_addr() { echo "$(node_host "$1"):$((API_PORT_BASE + $1))"; }
region() { echo "${REGION_OF[$(($1 - 1))]}"; }

# The nearest quorum's round trip from node LEADER: the (VOTERS/2)-th smallest round trip to
# the other voters (the leader's own vote makes up the majority).
quorum_rtt_ms() {
    local leader="$1" j rtts=()
    for ((j = 1; j <= VOTERS; j++)); do
        ((j == leader)) || rtts+=($((2 * $(one_way_ms "$(region "$leader")" "$(region "$j")"))))
    done
    printf '%s\n' "${rtts[@]}" | sort -n | sed -n "$((VOTERS / 2))p"
}
# The floor of a request a client sends to NODE while LEADER leads.
floor_ms() {
    local node="$1" leader="$2" hop=0
    ((node == leader)) || hop=$((2 * $(one_way_ms "$(region "$node")" "$(region "$leader")")))
    echo $((hop + $(quorum_rtt_ms "$leader")))
}

NODE_BIN="${COUPON_NODE_BIN:-$ROOT/target/release/coupon-node}"
CLI_BIN="${COUPON_BIN:-$ROOT/target/release/coupon}"
RELAY_BIN="${COUPON_WAN_RELAY_BIN:-$ROOT/target/release/coupon-wan-relay}"
if [[ -z "${COUPON_NODE_BIN:-}" || -z "${COUPON_BIN:-}" || -z "${COUPON_WAN_RELAY_BIN:-}" ]]; then
    say "building release binaries"
    (cd "$ROOT" && cargo build --release -p coupon-node -p coupon-client \
        --bin coupon-node --bin coupon --bin coupon-wan-relay >&2)
fi
export COUPON_NODE_BIN="$NODE_BIN"

RELAY_PID_FILE="$CLUSTER_DIR/relay.pid"
# The relay's pid if that process is alive and is the relay (a recycled pid is not ours).
relay_pid() {
    local pid
    [[ -f "$RELAY_PID_FILE" ]] || return 1
    pid="$(<"$RELAY_PID_FILE")"
    [[ "$pid" =~ ^[0-9]+$ && "$(cat "/proc/$pid/comm" 2>/dev/null)" == coupon-wan-rel* ]] || return 1
    echo "$pid"
}
stop_relay() {
    local pid deadline=$((SECONDS + 10))
    pid="$(relay_pid)" || { rm -f "$RELAY_PID_FILE"; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    while relay_pid >/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if relay_pid >/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$RELAY_PID_FILE"
}
WATCHDOG_PID=""
cleanup() {
    if [[ -f "$CLUSTER_DIR/cluster.env" ]]; then "$CLUSTER" stop >/dev/null 2>&1 || true; fi
    stop_relay
    if [[ -n "$WATCHDOG_PID" ]]; then kill "$WATCHDOG_PID" 2>/dev/null || true; fi
}

# What an interrupted run left is stopped before its directory is wiped.
mkdir -p "$CLUSTER_DIR"
cleanup
rm -rf "$CLUSTER_DIR"
mkdir -p "$CLUSTER_DIR"
trap cleanup EXIT
trap 'exit 130' INT TERM
# The whole run is bounded: past RUN_LIMIT_S the script is interrupted (and cleans up); each
# benchmark has its own bound, so the interrupt is never held up by a child.
(
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    sleep "$RUN_LIMIT_S" &
    nap=$!
    wait "$nap" && say "over RUN_LIMIT_S=${RUN_LIMIT_S}s: stopping" && kill -TERM $$
) &
WATCHDOG_PID=$!

start_relay() {
    local i args=(--latency-ms "$(latency_flag)" --jitter-pct "${JITTER_PCT:-0}")
    for ((i = 1; i <= VOTERS; i++)); do
        args+=(--route "$(node_host "$i"):$((RELAY_PORT_BASE + i))=$(node_host "$i"):$((PEER_PORT_BASE + i))@$(region "$i")"
            --source "$(node_host "$i")=$(region "$i")")
    done
    echo "=== $(date -u +%FT%TZ) start: ${args[*]}" >"$CLUSTER_DIR/relay.log"
    setsid "$RELAY_BIN" "${args[@]}" </dev/null >"$CLUSTER_DIR/relay.out" 2>>"$CLUSTER_DIR/relay.log" &
    local pid=$! deadline=$((SECONDS + 10))
    echo "$pid" >"$RELAY_PID_FILE"
    # Until the exec, the child still looks like this shell.
    until relay_pid >/dev/null; do
        [[ -e "/proc/$pid" ]] && ((SECONDS < deadline)) || break
        sleep 0.02
    done
    # It prints a line per front once every front is bound.
    until (($(wc -l <"$CLUSTER_DIR/relay.out") >= VOTERS)); do
        relay_pid >/dev/null || { cat "$CLUSTER_DIR/relay.log" >&2; die "the relay did not start"; }
        ((SECONDS < deadline)) || die "the relay did not bind its fronts within 10 s"
        sleep 0.1
    done
    say "relay: $(paste -sd ' ' "$CLUSTER_DIR/relay.out")"
}

# One field of GET /cluster's compact JSON (numbers, strings, null).
json_field() { sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\)\"\{0,1\}[,}].*/\1/p" <<<"$1" | head -n 1; }
cluster_view() {
    curl -s --connect-timeout 1 --max-time 3 -H "Authorization: Bearer $COUPON_API_KEY" \
        "http://$(api_addr "$1")/cluster" || true
}

# Waits until node 1 names a leader in the preferred region and that node says it leads;
# prints the leader's id.
wait_for_preferred_leader() {
    local deadline=$((SECONDS + LEADER_WAIT_S)) view leader
    while ((SECONDS < deadline)); do
        view="$(cluster_view 1)"
        leader="$(json_field "$view" leader_id)"
        if [[ "$leader" =~ ^[0-9]+$ && "$(region "$leader")" == "$PREFERRED" &&
            "$(json_field "$(cluster_view "$leader")" role)" == leader ]]; then
            echo "$leader"
            return 0
        fi
        sleep 0.5
    done
    die "no leader in $PREFERRED within ${LEADER_WAIT_S}s (last view of node 1: $view)"
}

# The first node of REGION.
region_node() {
    local i
    for ((i = 1; i <= VOTERS; i++)); do [[ "$(region "$i")" != "$1" ]] || { echo "$i"; return; }; done
}

# `coupon bench WORKLOAD --json --summary` against NODE alone; prints "P50 P99".
bench_node() {
    local node="$1" workload="$2" out duration_s
    duration_s="$(sed 's/s$//' <<<"${BENCH_DURATION:-10s}")"
    out="$(timeout --kill-after=5 $((duration_s + 120)) "$CLI_BIN" --nodes "$(api_addr "$node")" \
        --json bench "$workload" --leader-hint off --summary --duration "${BENCH_DURATION:-10s}" \
        --warmup "${BENCH_WARMUP:-3s}" --concurrency "${BENCH_CONCURRENCY:-4}" \
        --coupons "${BENCH_COUPONS:-32}")" || die "coupon bench $workload against node $node failed: $out"
    say "node $node $workload: $out"
    [[ "$(json_field "$out" errors)" == 0 ]] || die "coupon bench $workload against node $node had errors: $out"
    echo "$(json_field "$out" p50_ms) $(json_field "$out" p99_ms)"
}

# One synced 4 KiB write in the cluster directory, in ms (the median of 5 runs of 50).
sync_write_ms() {
    local run seconds samples=()
    for run in 1 2 3 4 5; do
        seconds="$(dd if=/dev/zero of="$CLUSTER_DIR/sync-probe" bs=4k count=50 oflag=dsync 2>&1 |
            sed -n 's/.* copied, \([0-9.]*\) s.*/\1/p')"
        samples+=("$(awk -v s="$seconds" 'BEGIN { printf "%.2f", s * 1000 / 50 }')")
    done
    rm -f "$CLUSTER_DIR/sync-probe"
    printf '%s\n' "${samples[@]}" | sort -n | sed -n 3p
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

start_relay
"$CLUSTER" start "$VOTERS" >/dev/null
export COUPON_API_KEY
COUPON_API_KEY="$(<"$CLUSTER_DIR/admin.key")"
say "cluster of $VOTERS ready (regions $NODE_REGIONS); waiting for the leader to be in $PREFERRED"
LEADER="$(wait_for_preferred_leader)"
say "leader: node $LEADER ($(region "$LEADER"))"
SYNC_MS="$(sync_write_ms)"

rows=()
for client_region in "${REGIONS[@]}"; do
    node="$(region_node "$client_region")"
    redeem="$(bench_node "$node" spread)"
    validate="$(bench_node "$node" validate)"
    read -r redeem_p50 redeem_p99 <<<"$redeem"
    read -r validate_p50 validate_p99 <<<"$validate"
    now_leader="$(json_field "$(cluster_view "$node")" leader_id)"
    [[ "$now_leader" == "$LEADER" ]] || die "the leader moved during the run (node $LEADER, now $now_leader)"
    floor="$(floor_ms "$node" "$LEADER")"
    floor_sync="$(awk -v f="$floor" -v s="$SYNC_MS" 'BEGIN { printf "%.1f", f + s }')"
    rows+=("$(printf '%-6s %-7s %-7s %6s %10s %8s %8s %8s %10s %8s %8s' "$client_region" \
        "$node($(region "$node"))" "$LEADER($(region "$LEADER"))" "$floor" "$floor_sync" \
        "$redeem_p50" "$redeem_p99" "$(ratio "$redeem_p50" "$floor_sync")" \
        "$validate_p50" "$validate_p99" "$(ratio "$validate_p50" "$floor")")")
done

echo "voters: $VOTERS ($NODE_REGIONS), one-way delays: $(latency_flag) ms, jitter ${JITTER_PCT:-0} %"
echo "bench: ${BENCH_CONCURRENCY:-4} clients per region, ${BENCH_DURATION:-10s} after ${BENCH_WARMUP:-3s}, one region at a time"
echo "sync: one synced 4 KiB write ${SYNC_MS} ms (dd oflag=dsync, median of 5x50)"
printf '%-6s %-7s %-7s %6s %10s %8s %8s %8s %10s %8s %8s\n' CLIENT NODE LEADER FLOOR FLOOR+SYNC \
    R_P50 R_P99 R/F+S V_P50 V_P99 V/F
printf '%s\n' "${rows[@]}"
echo "(ms; FLOOR: network only, from the matrix; R: redeem, against FLOOR+SYNC; V: validate, against FLOOR)"
