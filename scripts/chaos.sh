#!/usr/bin/env bash
# A bounded chaos run against a local three-node cluster (started with scripts/cluster.sh).
#
#   scripts/chaos.sh [SECONDS]      default 60 seconds of faults
#
# Clients redeem a few small-limit coupons as fast as they can, each redeem through the `coupon`
# CLI (one Idempotency-Key per redeem, retried across nodes), while this script SIGKILLs a node
# every few seconds (the leader half of the time, and now and then two nodes at once, so the
# cluster also loses its quorum) and restarts it. Afterwards it checks:
#   - no coupon was redeemed more often than its limit, and its counter equals its live history;
#   - every acknowledged redemption is in the history, for the user it was granted to;
#   - no redeem was applied twice (every user redeems once, so a user twice in a history is a
#     retry applied twice);
#   - every node holds the same coupons and history once it has applied the same log.
# It prints a summary and exits 1 on any violation (2 when the run itself could not be set up).
#
# Coupon c has c x LIMIT uses, so the coupons run out one after another while the faults go on and
# the race for the last uses happens under them.
#
# Environment: WORKERS=8 COUPONS=4 LIMIT=100, CLUSTER_DIR (default target/chaos),
# API_PORT_BASE=8580, PEER_PORT_BASE=9580 (its own ports, so it never meets a dev cluster),
# SEED (for the choice of victims; default: the clock).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION_S="${1:-60}"
WORKERS="${WORKERS:-8}"
COUPONS="${COUPONS:-4}"
LIMIT="${LIMIT:-100}"
SEED="${SEED:-$(date +%s)}"
export CLUSTER_DIR="${CLUSTER_DIR:-$ROOT/target/chaos}"
export API_PORT_BASE="${API_PORT_BASE:-8580}"
export PEER_PORT_BASE="${PEER_PORT_BASE:-9580}"
export NODES=3
RUN="$CLUSTER_DIR/run"
CLUSTER="$ROOT/scripts/cluster.sh"
COUPON="$ROOT/target/release/coupon"
NODE_LIST="$(for i in 1 2 3; do printf '127.0.0.1:%d,' $((API_PORT_BASE + i)); done)"
export COUPON_NODES="${NODE_LIST%,}"
RANDOM="$SEED"

say() { echo "chaos.sh: $*" >&2; }
api() { echo "127.0.0.1:$((API_PORT_BASE + $1))"; }

worker_pids=()
cleanup() {
    for pid in "${worker_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    "$CLUSTER" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

setup() {
    say "building the release binaries"
    (cd "$ROOT" && cargo build --release --locked -q -p coupon-node -p coupon-client) || exit 2
    "$CLUSTER" stop >/dev/null 2>&1 || true
    rm -rf "$CLUSTER_DIR"
    mkdir -p "$RUN"
    "$CLUSTER" start 3 >/dev/null || exit 2
    : >"$RUN/limits"
    for c in $(seq 1 "$COUPONS"); do
        "$COUPON" --json generate --code "CHAOS-$c" --percent 10 --expires-in 1d --usage-limit $((c * LIMIT)) |
            jq -r '"\(.id) \(.usage_limit)"' >>"$RUN/limits" || exit 2
    done
    cut -d' ' -f1 "$RUN/limits" >"$RUN/coupons"
}

# One client: redeems until the deadline, one line per logical redeem:
# "granted COUPON REDEMPTION USER", "rejected COUPON CODE USER" or "unknown COUPON - USER".
worker() {
    local w=$1 deadline=$2 n=0 coupons out status
    mapfile -t coupons <"$RUN/coupons"
    while ((SECONDS < deadline)); do
        local coupon="${coupons[$((RANDOM % ${#coupons[@]}))]}" user="w$w-$n"
        n=$((n + 1))
        status=0
        out="$("$COUPON" --json --attempts 10 --timeout 2s redeem "$coupon" --user "$user" 2>/dev/null)" || status=$?
        case "$status" in
        0) echo "granted $coupon $(jq -r .redemption.id <<<"$out") $user" ;;
        2) echo "rejected $coupon $(jq -r .code <<<"$out") $user" ;;
        *) echo "unknown $coupon - $user" ;;
        esac
    done >"$RUN/worker-$w.log"
}

leader_index() {
    local i leader
    for i in 1 2 3; do
        leader="$(curl -sf --max-time 1 "http://$(api "$i")/cluster" | jq -r '.leader_id // empty' 2>/dev/null)" || continue
        [[ -n "$leader" ]] && { echo "$leader"; return; }
    done
    echo $((1 + RANDOM % 3))
}

# Kills a node (the leader half of the time; both others now and then), waits, restarts.
chaos() {
    local deadline=$1 started=$SECONDS kills=0 victim second restarts
    while ((SECONDS < deadline)); do
        sleep $((2 + RANDOM % 3))
        ((SECONDS < deadline)) || break
        if ((RANDOM % 2)); then victim="$(leader_index)"; else victim=$((1 + RANDOM % 3)); fi
        "$CLUSTER" kill "$victim" >/dev/null
        kills=$((kills + 1))
        second=""
        if ((RANDOM % 5 == 0)); then
            second=$((victim % 3 + 1))
            "$CLUSTER" kill "$second" >/dev/null
            kills=$((kills + 1))
        fi
        say "t=$((SECONDS - started))s killed node $victim${second:+ and node $second}"
        sleep $((1 + RANDOM % 2))
        # Restarted together, so that a lost quorum comes back.
        "$CLUSTER" restart "$victim" >/dev/null &
        restarts=("$!")
        if [[ -n "$second" ]]; then
            "$CLUSTER" restart "$second" >/dev/null &
            restarts+=("$!")
        fi
        wait "${restarts[@]}"
    done
    echo "$kills" >"$RUN/kills"
}

check() {
    local failures=0
    cat "$RUN"/worker-*.log >"$RUN/all.log"
    local granted rejected unknown
    granted=$(grep -c '^granted' "$RUN/all.log" || true)
    rejected=$(grep -c '^rejected' "$RUN/all.log" || true)
    unknown=$(grep -c '^unknown' "$RUN/all.log" || true)
    while read -r coupon limit; do
        "$COUPON" --json history "$coupon" --all --limit 500 >"$RUN/history-$coupon.json" || { say "cannot read history of $coupon"; return 1; }
        "$COUPON" --json get "$coupon" >"$RUN/coupon-$coupon.json"
        local live times users distinct
        live=$(jq '[.redemptions[] | select(.rolled_back_at == null)] | length' "$RUN/history-$coupon.json")
        times=$(jq .times_redeemed "$RUN/coupon-$coupon.json")
        users=$(jq '.redemptions | length' "$RUN/history-$coupon.json")
        distinct=$(jq '[.redemptions[].user_id] | unique | length' "$RUN/history-$coupon.json")
        say "coupon $coupon: $times of $limit uses taken"
        ((times <= limit)) || { say "VIOLATION: coupon $coupon redeemed $times times, limit $limit"; failures=$((failures + 1)); }
        ((times == live)) || { say "VIOLATION: coupon $coupon counts $times but its history has $live live"; failures=$((failures + 1)); }
        ((users == distinct)) || { say "VIOLATION: coupon $coupon has a redeem applied twice"; failures=$((failures + 1)); }
        jq -r '.redemptions[] | "\(.id) \(.user_id)"' "$RUN/history-$coupon.json" >>"$RUN/history.txt"
    done <"$RUN/limits"
    local lost
    lost=$(awk 'NR==FNR { seen[$1" "$2] = 1; next } $1 == "granted" && !(($3" "$4) in seen)' "$RUN/history.txt" "$RUN/all.log" | tee "$RUN/lost.txt" | wc -l)
    ((lost == 0)) || { say "VIOLATION: $lost acknowledged redemptions are missing (see $RUN/lost.txt)"; failures=$((failures + 1)); }
    check_agreement || failures=$((failures + 1))
    say "$granted granted, $rejected refused, $unknown unknown; $(cat "$RUN/kills") kills in ${DURATION_S}s"
    ((failures == 0)) && say "every check passed" || say "$failures checks FAILED"
    return "$failures"
}

# Every node's local view, compared once all have applied the same log. A node that cannot be
# read, or a log that never converges, is a failure: empty answers would all look alike.
check_agreement() {
    local i applied="" views
    for _ in $(seq 1 300); do
        applied=$(for i in 1 2 3; do curl -sf --max-time 1 "http://$(api "$i")/cluster" | jq -e .last_applied || echo unreadable; done | sort -u)
        [[ "$(wc -l <<<"$applied")" == 1 && "$applied" != unreadable ]] && break
        applied=""
        sleep 0.1
    done
    if [[ -z "$applied" ]]; then
        say "VIOLATION: the nodes never applied the same log within 30 s"
        return 1
    fi
    if ! views=$(for i in 1 2 3; do
        for coupon in $(cat "$RUN/coupons"); do
            "$COUPON" --nodes "$(api "$i")" --json get "$coupon" --local || exit 1
            "$COUPON" --nodes "$(api "$i")" --json history "$coupon" --all --limit 500 --local || exit 1
        done | sha256sum
        ((PIPESTATUS[0] == 0)) || exit 1
    done | sort -u | wc -l); then
        say "VIOLATION: a node could not be read to compare its view"
        return 1
    fi
    ((views == 1)) && return 0
    say "VIOLATION: the nodes disagree about the coupons or their history"
    return 1
}

setup
say "seed $SEED: $WORKERS clients, $COUPONS coupons of $LIMIT to $((COUPONS * LIMIT)) uses, ${DURATION_S}s of faults"
deadline=$((SECONDS + DURATION_S))
for w in $(seq 1 "$WORKERS"); do
    worker "$w" "$deadline" &
    worker_pids+=("$!")
done
chaos "$deadline"
wait "${worker_pids[@]}"
worker_pids=()
for i in 1 2 3; do "$CLUSTER" restart "$i" >/dev/null 2>&1 || true; done
check
