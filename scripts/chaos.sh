#!/usr/bin/env bash
# Bounded chaos runs against a local three-node cluster (started with scripts/cluster.sh).
#
#   scripts/chaos.sh [SECONDS]              default 60 seconds of faults: node kills
#   scripts/chaos.sh --power-loss [CYCLES]  power cuts on LazyFS, CYCLES (default $CUTS or 12) times
#   scripts/chaos.sh --partitions [SECONDS] default 40 seconds of network partitions (nftables)
#
# Clients redeem a few small-limit coupons as fast as they can, each redeem through the `coupon`
# CLI (one Idempotency-Key per redeem, retried across nodes).
#
# Kills (the first form): this script SIGKILLs a node every few seconds (the leader half of the
# time, and now and then two nodes at once, so the cluster also loses its quorum) and restarts it.
#
# Power cuts (--power-loss): every node's data dir is on its own LazyFS mount (scripts/
# power_loss.sh), which keeps writes in its cache until they are fsynced. Each cycle creates fresh
# coupons, starts the clients and, at a random moment 1-4 s later, cuts the power of all nodes, of
# a majority, or of the leader alone: SIGKILL, then every byte not fsynced is dropped. On torn
# cycles the leader and one or two other nodes get a torn write on their Raft log segment instead
# (data dir raft-log/*.log; LazyFS torn-op or torn-seq: part of a write persists, then LazyFS dies
# under the node); without such files the torn fault is skipped, said so, and the same nodes get a
# plain power cut. The victims are restarted on what survived, the clients go on for 1-2 s, stop,
# and the checks below run over every coupon of every cycle so far. The kinds take turns as KINDS
# says (default all,majority,leader,all,majority,torn); SEED picks the victims and the moments.
#
# Partitions (--partitions): each node has a loopback address of its own (127.0.0.11, .12, .13:
# cluster.sh with NODE_HOST_BASE=127.0.0.10), its listeners bound there and its own connections
# made from there, and this script cuts links with nftables rules in a table of its own (inet
# coupon_chaos, output hook) that drop the packets from one node's address to another's. Every
# few seconds one fault, held 2-4 s, then healed: the leader cut off from both others; a follower
# (a minority) cut off; the leader's outgoing or incoming packets only (one way); a single link
# one way; a flapping link (a pair cut and healed every half second, 8 times). The clients, on
# 127.0.0.1, are never cut off. Needs root and the nft command (Debian: apt-get install nftables):
# without them it is skipped (exit 0), except under CI=true, where that is a failure (2).
# The table is removed at the end, also on failure or interrupt, and any left by an earlier run
# is removed first.
#
# The checks (at the end; with --power-loss after every cycle):
#   - no coupon was redeemed more often than its limit, and its counter equals its live history;
#   - every acknowledged redemption is in the history, for the user it was granted to;
#   - no redeem was applied twice (every user redeems once, so a user twice in a history is a
#     retry applied twice);
#   - every node holds the same coupons and history once it has applied the same log.
# It prints a summary (with --power-loss: cuts by kind, acknowledged redeems, those found present,
# lost, duplicates, limit violations) and exits 1 on any violation, 2 when the run itself could not
# be set up. Without FUSE (/dev/fuse) --power-loss says so and exits 0 ("skipped"), except under
# CI=true, where that is a failure (2).
#
# Coupon c has c x LIMIT uses, so the coupons run out one after another while the faults go on and
# the race for the last uses happens under them. With --power-loss each cycle has COUPONS such
# coupons and one more that no cycle exhausts (1,000,000 uses), so that redeems are being granted,
# and written, whenever the power goes.
#
# Environment: WORKERS=8, COUPONS=4 and LIMIT=100 (--power-loss: 3 and 20 per cycle; --partitions:
# 4 and 25), SEED (the
# choice of victims and moments; default: the clock), COUPON_NODE_BIN and COUPON_BIN (run these
# node and CLI binaries instead of building target/release: e.g. a broken build elsewhere),
# CLUSTER_DIR (default target/chaos, target/chaos-power-loss or target/chaos-partitions),
# API_PORT_BASE/PEER_PORT_BASE (8580/9580, 8680/9680 or 8780/9780: their own ports, so they never
# meet a dev cluster).
# --power-loss only: CUTS, KINDS, RUN_LIMIT_S=900 (bound on the cycles and checks, builds apart:
# a cycle that would not fit is not started, and a run cut short fails), START_TIMEOUT_S=30 (bound
# on a node's restart), DROP_UNSYNCED=1 (0: a control run whose cuts only SIGKILL, so unsynced
# writes survive as after a process crash: what it loses is not a matter of fsync),
# COUPON_SNAPSHOT_EVERY=64 and COUPON_LOGS_KEPT_BEHIND_SNAPSHOT=16 (the nodes' flags: snapshots
# are built, stored and installed during the cycles, and the log purged behind them), and for
# scripts/power_loss.sh TORN_WAIT_S=5, TORN_TARGET=raft-log/*.log, LAZYFS_TOOLS (default
# $ROOT/../shared/tools/lazyfs), LAZYFS_HOME (the LazyFS build; default target/lazyfs),
# LAZYFS_MOUNTS (the mounts and their backing files; default /tmp/pl-<hash of CLUSTER_DIR>).
# Node logs stay in CLUSTER_DIR/node<i>/node.log, the clients' logs and what each check read in
# CLUSTER_DIR/run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { echo "chaos.sh: $*" >&2; }
usage_error() {
    say "$*"
    say "usage: scripts/chaos.sh [SECONDS] | scripts/chaos.sh --power-loss [CYCLES] | scripts/chaos.sh --partitions [SECONDS]"
    exit 2
}

MODE="kill"
case "${1:-}" in
--power-loss)
    MODE=power-loss
    CYCLES="${2:-${CUTS:-12}}"
    [[ "$CYCLES" =~ ^[0-9]+$ ]] && ((CYCLES >= 1 && CYCLES <= 1000)) ||
        usage_error "CYCLES must be 1..1000, got '$CYCLES'"
    ;;
--partitions)
    MODE=partitions
    DURATION_S="${2:-40}"
    [[ "$DURATION_S" =~ ^[0-9]+$ ]] && ((DURATION_S >= 1 && DURATION_S <= 3600)) ||
        usage_error "SECONDS must be 1..3600, got '$DURATION_S'"
    ;;
-h | --help)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 0
    ;;
*)
    DURATION_S="${1:-60}"
    [[ "$DURATION_S" =~ ^[0-9]+$ ]] || usage_error "SECONDS must be a number, got '$DURATION_S'"
    ;;
esac
WORKERS="${WORKERS:-8}"
if [[ "$MODE" == power-loss ]]; then
    COUPONS="${COUPONS:-3}"
    LIMIT="${LIMIT:-20}"
elif [[ "$MODE" == partitions ]]; then
    # Small limits: the first coupons run out during the faults, so the race for the last uses
    # happens under them.
    COUPONS="${COUPONS:-4}"
    LIMIT="${LIMIT:-25}"
else
    COUPONS="${COUPONS:-4}"
    LIMIT="${LIMIT:-100}"
fi
SEED="${SEED:-$(date +%s)}"
for name in WORKERS COUPONS LIMIT SEED; do
    [[ "${!name}" =~ ^[0-9]+$ ]] || usage_error "$name must be a number, got '${!name}'"
done
if [[ "$MODE" == power-loss ]]; then
    export CLUSTER_DIR="${CLUSTER_DIR:-$ROOT/target/chaos-power-loss}"
    export API_PORT_BASE="${API_PORT_BASE:-8680}"
    export PEER_PORT_BASE="${PEER_PORT_BASE:-9680}"
    export START_TIMEOUT_S="${START_TIMEOUT_S:-30}"
    export STOP_TIMEOUT_S="${STOP_TIMEOUT_S:-5}"
    # Snapshots every few seconds of the run's load, and a short log behind them: cuts then meet
    # snapshots being written, stored and installed, and starts restore from one.
    export COUPON_SNAPSHOT_EVERY="${COUPON_SNAPSHOT_EVERY:-64}"
    export COUPON_LOGS_KEPT_BEHIND_SNAPSHOT="${COUPON_LOGS_KEPT_BEHIND_SNAPSHOT:-16}"
elif [[ "$MODE" == partitions ]]; then
    export CLUSTER_DIR="${CLUSTER_DIR:-$ROOT/target/chaos-partitions}"
    export API_PORT_BASE="${API_PORT_BASE:-8780}"
    export PEER_PORT_BASE="${PEER_PORT_BASE:-9780}"
    export NODE_HOST_BASE=127.0.0.10
else
    export CLUSTER_DIR="${CLUSTER_DIR:-$ROOT/target/chaos}"
    export API_PORT_BASE="${API_PORT_BASE:-8580}"
    export PEER_PORT_BASE="${PEER_PORT_BASE:-9580}"
fi
export NODES=3
mkdir -p "$CLUSTER_DIR"
CLUSTER_DIR="$(cd "$CLUSTER_DIR" && pwd)"
RUN="$CLUSTER_DIR/run"
CLUSTER="$ROOT/scripts/cluster.sh"
COUPON="${COUPON_BIN:-$ROOT/target/release/coupon}"
RANDOM="$SEED"

# The nodes' API addresses as cluster.sh laid them out; the clients use them all.
API_ADDRS=()
load_addresses() {
    mapfile -t API_ADDRS < <("$CLUSTER" addresses)
    ((${#API_ADDRS[@]} == 3)) || { say "error: cluster.sh gave ${#API_ADDRS[@]} addresses"; return 1; }
    COUPON_NODES="$(IFS=,; echo "${API_ADDRS[*]}")"
    export COUPON_NODES
}
api() { echo "${API_ADDRS[$(($1 - 1))]}"; }
# Node I's IP address: what its packets come from and go to.
node_ip() { local addr; addr="$(api "$1")"; echo "${addr%:*}"; }
# GET PATH from node I with the cluster's admin key (cluster.sh keeps it in admin.key).
api_get() { curl -sf --max-time 1 -H "Authorization: Bearer ${COUPON_API_KEY:-}" "http://$(api "$1")$2"; }
# The CLI and api_get send the key of the cluster `cluster.sh start` just made.
use_admin_key() { COUPON_API_KEY="$(<"$CLUSTER_DIR/admin.key")"; export COUPON_API_KEY; }

worker_pids=()
# Stops the clients at once, with the CLI processes they wait on (a worker runs each one in a
# command substitution's subshell): each level is frozen (SIGSTOP, so that it forks no more) and
# its children listed, then all get SIGKILL.
kill_workers() {
    local level=("${worker_pids[@]}") all=() next pid child
    while ((${#level[@]})); do
        kill -STOP "${level[@]}" 2>/dev/null || true
        all+=("${level[@]}")
        next=()
        for pid in "${level[@]}"; do
            for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do next+=("$child"); done
        done
        level=("${next[@]}")
    done
    ((${#all[@]} == 0)) || kill -KILL "${all[@]}" 2>/dev/null || true
    for pid in "${worker_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    worker_pids=()
}
background_pids=() # restarts under way: stopped first, so that none starts a node after the stop
cleanup() {
    set +e
    local pid
    for pid in "${background_pids[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${background_pids[@]}"; do wait "$pid" 2>/dev/null; done
    kill_workers
    [[ -f "$CLUSTER_DIR/cluster.env" ]] && "$CLUSTER" stop >/dev/null 2>&1
    [[ "$MODE" != power-loss ]] || teardown_mounts
    [[ "$MODE" != partitions ]] || nft_remove
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Builds what COUPON_NODE_BIN and COUPON_BIN do not replace.
build_binaries() {
    local packages=()
    [[ -n "${COUPON_NODE_BIN:-}" ]] || packages+=(-p coupon-node)
    [[ -n "${COUPON_BIN:-}" ]] || packages+=(-p coupon-client)
    if ((${#packages[@]})); then
        say "building the release binaries (${packages[*]})"
        (cd "$ROOT" && cargo build --release --locked -q "${packages[@]}") || return 1
    fi
    [[ -x "$COUPON" ]] || { say "no coupon CLI at $COUPON"; return 1; }
    [[ -z "${COUPON_NODE_BIN:-}" || -x "$COUPON_NODE_BIN" ]] ||
        { say "COUPON_NODE_BIN=$COUPON_NODE_BIN is not executable"; return 1; }
}

setup() {
    build_binaries || exit 2
    "$CLUSTER" stop >/dev/null 2>&1 || true
    rm -rf "$CLUSTER_DIR"
    mkdir -p "$RUN"
    "$CLUSTER" start 3 >/dev/null || exit 2
    load_addresses || exit 2
    use_admin_key
    : >"$RUN/limits"
    new_coupons CHAOS- "$RUN/limits" || exit 2
    cut -d' ' -f1 "$RUN/limits" >"$RUN/coupons"
}

# Creates COUPONS coupons (codes PREFIX1.., coupon c with c x LIMIT uses); appends "ID LIMIT" lines
# to FILE.
new_coupons() {
    local c
    for c in $(seq 1 "$COUPONS"); do
        "$COUPON" --json generate --code "$1$c" --percent 10 --expires-in 1d --usage-limit $((c * LIMIT)) |
            jq -r '"\(.id) \(.usage_limit)"' >>"$2" || return 1
    done
}

# One client: redeems the coupons of COUPON_FILE until the deadline (or until $RUN/stop exists),
# one line per logical redeem: "granted COUPON REDEMPTION USER", "rejected COUPON CODE USER" or
# "unknown COUPON - USER". Users are TAG w<worker>-<n>, so every redeem has a user of its own.
worker() {
    local w=$1 deadline=$2 coupon_file=$3 tag=${4:-} n=0 coupons out status
    mapfile -t coupons <"$coupon_file"
    while ((SECONDS < deadline)) && [[ ! -e "$RUN/stop" ]]; do
        local coupon="${coupons[$((RANDOM % ${#coupons[@]}))]}" user="${tag}w$w-$n"
        n=$((n + 1))
        status=0
        out="$("$COUPON" --json --attempts 10 --timeout 2s redeem "$coupon" --user "$user" 2>/dev/null)" || status=$?
        case "$status" in
        0) echo "granted $coupon $(jq -r .redemption.id <<<"$out") $user" ;;
        2) echo "rejected $coupon $(jq -r .code <<<"$out") $user" ;;
        *) echo "unknown $coupon - $user" ;;
        esac
    done >"$RUN/worker-$tag$w.log"
}

# The leader as the nodes see it (one that calls itself leader); fails when none is known.
leader_index() {
    local i leader
    for i in 1 2 3; do
        leader="$(api_get "$i" /cluster | jq -r '.leader_id // empty' 2>/dev/null)" || continue
        [[ "$leader" =~ ^[1-3]$ ]] || continue
        [[ "$(api_get "$leader" /cluster | jq -r .role 2>/dev/null)" == leader ]] || continue
        echo "$leader"
        return 0
    done
    return 1
}

# Kills a node (the leader half of the time; both others now and then), waits, restarts.
chaos() {
    local deadline=$1 started=$SECONDS kills=0 victim second restarts
    while ((SECONDS < deadline)); do
        sleep $((2 + RANDOM % 3))
        ((SECONDS < deadline)) || break
        if ((RANDOM % 2)); then victim="$(leader_index)" || victim=$((1 + RANDOM % 3)); else victim=$((1 + RANDOM % 3)); fi
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

# Compares the cluster with what the clients were told, over every coupon of $RUN/limits and every
# client log. Waits first until every node has applied the same log, so that all reads see one
# state. Sets the V_* counts; returns how many checks failed (0: all passed). VERBOSE=1 prints
# every coupon.
verify() {
    local failures=0 coupon limit live times users distinct
    cat "$RUN"/worker-*.log >"$RUN/all.log" 2>/dev/null || : >"$RUN/all.log"
    V_GRANTED=$(grep -c '^granted' "$RUN/all.log" || true)
    V_REJECTED=$(grep -c '^rejected' "$RUN/all.log" || true)
    V_UNKNOWN=$(grep -c '^unknown' "$RUN/all.log" || true)
    V_OVER_LIMIT=0 V_MISCOUNTED=0 V_DUPLICATES=0 V_UNREADABLE=0 V_CONVERGED=1 V_AGREE=1
    if ! wait_converged; then
        V_CONVERGED=0 V_AGREE=0
        failures=$((failures + 1))
    fi
    read_coupons
    # One jq for every coupon read (jq takes ~60 ms to start here): per coupon, in order, a line
    # "S live counter users distinct-users", then "H redemption user" for each redemption.
    local read_ok=() files=()
    while read -r coupon limit; do
        if [[ -e "$RUN/read-$coupon.ok" ]]; then
            read_ok+=("$coupon $limit")
            files+=("$RUN/history-$coupon.json" "$RUN/coupon-$coupon.json")
        else
            say "VIOLATION: coupon $coupon (created, acknowledged) cannot be read"
            V_UNREADABLE=$((V_UNREADABLE + 1))
        fi
    done <"$RUN/limits"
    : >"$RUN/analysis.txt"
    if ((${#files[@]})); then
        jq -r -n 'def go: (try input catch null) as $h | if $h == null then empty else input as $c |
            "S \([$h.redemptions[] | select(.rolled_back_at == null)] | length) \($c.times_redeemed) \($h.redemptions | length) \([$h.redemptions[].user_id] | unique | length)",
            ($h.redemptions[] | "H \(.id) \(.user_id)"), go end; go' "${files[@]}" >"$RUN/analysis.txt" || true
    fi
    sed -n 's/^H //p' "$RUN/analysis.txt" >"$RUN/history.txt"
    sed -n 's/^S //p' "$RUN/analysis.txt" >"$RUN/summary.txt"
    if (($(wc -l <"$RUN/summary.txt") != ${#read_ok[@]})); then
        say "error: could not make sense of the coupons read (see $RUN/analysis.txt)"
        V_UNREADABLE=$((V_UNREADABLE + ${#read_ok[@]}))
        read_ok=()
    fi
    local i=0
    while read -r live times users distinct; do
        read -r coupon limit <<<"${read_ok[$i]}"
        i=$((i + 1))
        [[ "${VERBOSE:-}" != 1 ]] || say "coupon $coupon: $times of $limit uses taken"
        ((times <= limit)) || { say "VIOLATION: coupon $coupon redeemed $times times, limit $limit"; V_OVER_LIMIT=$((V_OVER_LIMIT + 1)); }
        ((times == live)) || { say "VIOLATION: coupon $coupon counts $times but its history has $live live"; V_MISCOUNTED=$((V_MISCOUNTED + 1)); }
        ((users == distinct)) || { say "VIOLATION: coupon $coupon has $((users - distinct)) redeems applied twice"; V_DUPLICATES=$((V_DUPLICATES + users - distinct)); }
    done < <(((${#read_ok[@]})) && cat "$RUN/summary.txt")
    V_LOST=$(awk 'NR==FNR { seen[$1" "$2] = 1; next } $1 == "granted" && !(($3" "$4) in seen)' "$RUN/history.txt" "$RUN/all.log" | tee "$RUN/lost.txt" | wc -l)
    V_PRESENT=$((V_GRANTED - V_LOST))
    ((V_LOST == 0)) || say "VIOLATION: $V_LOST of $V_GRANTED acknowledged redemptions are missing (see $RUN/lost.txt)"
    local count
    for count in "$V_UNREADABLE" "$V_OVER_LIMIT" "$V_MISCOUNTED" "$V_DUPLICATES" "$V_LOST"; do
        ((count == 0)) || failures=$((failures + 1))
    done
    if ((V_CONVERGED)) && ! compare_views; then
        V_AGREE=0
        failures=$((failures + 1))
    fi
    return "$failures"
}

# Reads every coupon of $RUN/limits and its history (linearizable reads) into $RUN, four readers
# at a time; $RUN/read-<id>.ok marks those read. Reading stops after 120 s.
read_coupons() {
    local reader pids=() deadline=$((SECONDS + 120))
    rm -f "$RUN"/read-*.ok
    for reader in 0 1 2 3; do
        awk -v r="$reader" 'NR % 4 == r { print $1 }' "$RUN/limits" | while read -r coupon; do
            ((SECONDS <= deadline)) || { say "coupon $coupon not read: reading took over 120 s"; continue; }
            "$COUPON" --json --attempts 4 --timeout 3s history "$coupon" --all --limit 500 >"$RUN/history-$coupon.json" &&
                "$COUPON" --json --attempts 4 --timeout 3s get "$coupon" >"$RUN/coupon-$coupon.json" &&
                touch "$RUN/read-$coupon.ok"
        done &
        pids+=("$!")
    done
    background_pids=("${pids[@]}")
    wait "${pids[@]}" || true
    background_pids=()
}

check() {
    local failures=0
    VERBOSE=1 verify || failures=$?
    say "$V_GRANTED granted, $V_REJECTED refused, $V_UNKNOWN unknown; $(cat "$RUN/kills") kills in ${DURATION_S}s"
    ((failures == 0)) && say "every check passed" || say "$failures checks FAILED"
    ((failures == 0))
}

# Waits (30 s at most) until every node has applied the same log. A node that cannot be read, or a
# log that never converges, is a failure: empty answers would all look alike.
wait_converged() {
    local i applied
    for _ in $(seq 1 300); do
        applied=$(for i in 1 2 3; do api_get "$i" /cluster | jq -e .last_applied || echo unreadable; done | sort -u)
        [[ "$(wc -l <<<"$applied")" == 1 && "$applied" != unreadable ]] && return 0
        sleep 0.1
    done
    say "VIOLATION: the nodes never applied the same log within 30 s ($(tr '\n' ' ' <<<"$applied"))"
    return 1
}

# Every node's local view of every coupon (kept in $RUN/view-node<i>.json), compared once they have
# applied the same log.
compare_views() {
    local i coupon differ pids=() unread=0
    for i in 1 2 3; do
        for coupon in $(cat "$RUN/coupons"); do
            "$COUPON" --nodes "$(api "$i")" --json --attempts 2 --timeout 3s get "$coupon" --local &&
                "$COUPON" --nodes "$(api "$i")" --json --attempts 2 --timeout 3s history "$coupon" --all --limit 500 --local ||
                { say "VIOLATION: node $i could not be read to compare its view"; exit 1; }
        done >"$RUN/view-node$i.json" &
        pids+=("$!")
    done
    background_pids=("${pids[@]}")
    for i in "${pids[@]}"; do wait "$i" || unread=1; done
    background_pids=()
    ((unread == 0)) || return 1
    cmp -s "$RUN/view-node1.json" "$RUN/view-node2.json" &&
        cmp -s "$RUN/view-node1.json" "$RUN/view-node3.json" && return 0
    differ=$(for i in 2 3; do
        cmp -s "$RUN/view-node1.json" "$RUN/view-node$i.json" || echo "1 and $i"
    done | paste -sd, -)
    say "VIOLATION: the nodes disagree about the coupons or their history (nodes $differ; see $RUN/view-node*.json)"
    return 1
}

kill_main() {
    setup
    say "seed $SEED: $WORKERS clients, $COUPONS coupons of $LIMIT to $((COUPONS * LIMIT)) uses, ${DURATION_S}s of faults"
    local deadline=$((SECONDS + DURATION_S)) w
    for w in $(seq 1 "$WORKERS"); do
        worker "$w" "$deadline" "$RUN/coupons" &
        worker_pids+=("$!")
    done
    chaos "$deadline"
    wait "${worker_pids[@]}"
    worker_pids=()
    for i in 1 2 3; do "$CLUSTER" restart "$i" >/dev/null 2>&1 || true; done
    check
}

# --- network partitions -------------------------------------------------------------------------

NFT_TABLE=coupon_chaos

# The script's own nftables table: one output chain, empty until a fault cuts a link.
nft_setup() {
    nft_remove
    nft add table inet "$NFT_TABLE" &&
        nft add chain inet "$NFT_TABLE" output '{ type filter hook output priority 0; policy accept; }'
}
nft_remove() { nft delete table inet "$NFT_TABLE" 2>/dev/null || true; }

# Drops every packet from node $1 to node $2 (one way).
cut_link() { nft add rule inet "$NFT_TABLE" output ip saddr "$(node_ip "$1")" ip daddr "$(node_ip "$2")" drop; }
# Cuts node $1 off from both others, both ways.
cut_off() {
    local other
    for other in 1 2 3; do
        ((other == $1)) && continue
        cut_link "$1" "$other"
        cut_link "$other" "$1"
    done
}
heal_links() { nft flush chain inet "$NFT_TABLE" output; }

# One fault of kind $1, held, then healed; counts it in FAULTS[$1].
partition_fault() {
    local kind=$1 started=$2 leader follower other hold=$((20 + RANDOM % 21)) flip
    leader="$(leader_index)" || leader=$((1 + RANDOM % 3))
    follower=$((leader % 3 + 1 + RANDOM % 2))
    ((follower <= 3)) || follower=$((follower - 3))
    case "$kind" in
    leader) cut_off "$leader"; say "t=$((SECONDS - started))s cut off leader $leader" ;;
    minority) cut_off "$follower"; say "t=$((SECONDS - started))s cut off follower $follower" ;;
    one-way)
        for other in 1 2 3; do
            ((other == leader)) && continue
            if ((RANDOM % 2)); then cut_link "$leader" "$other"; else cut_link "$other" "$leader"; fi
        done
        say "t=$((SECONDS - started))s leader $leader's links cut one way each"
        ;;
    link) cut_link "$leader" "$follower"; say "t=$((SECONDS - started))s link $leader -> $follower cut" ;;
    flap)
        say "t=$((SECONDS - started))s link $leader <-> $follower flapping"
        for flip in 1 2 3 4 5 6 7 8; do
            if ((flip % 2)); then cut_link "$leader" "$follower"; cut_link "$follower" "$leader"; else heal_links; fi
            sleep 0.5
        done
        hold=0
        ;;
    esac
    FAULTS[$kind]=$((FAULTS[$kind] + 1))
    sleep_tenths "$hold"
    heal_links
}

partitions() {
    local deadline=$1 started=$SECONDS kinds=(leader minority one-way link flap)
    declare -gA FAULTS=([leader]=0 [minority]=0 [one-way]=0 [link]=0 [flap]=0)
    while ((SECONDS + 5 < deadline)); do
        sleep_tenths $((10 + RANDOM % 11))
        partition_fault "${kinds[$((RANDOM % ${#kinds[@]}))]}" "$started"
    done
}

partitions_main() {
    if [[ "$(id -u)" != 0 ]] || ! command -v nft >/dev/null; then
        if [[ "${CI:-}" == true ]]; then
            say "error: --partitions needs root and the nft command (apt-get install nftables); under CI=true that fails"
            exit 2
        fi
        say "skipped: --partitions needs root and the nft command (apt-get install nftables)"
        exit 0
    fi
    nft_setup || exit 2
    setup
    say "seed $SEED: $WORKERS clients, $COUPONS coupons of $LIMIT to $((COUPONS * LIMIT)) uses, ${DURATION_S}s of partitions between ${API_ADDRS[*]}"
    local deadline=$((SECONDS + DURATION_S)) w failures=0 kind total=0 summary=""
    for w in $(seq 1 "$WORKERS"); do
        worker "$w" "$deadline" "$RUN/coupons" &
        worker_pids+=("$!")
    done
    partitions "$deadline"
    wait "${worker_pids[@]}"
    worker_pids=()
    heal_links
    VERBOSE=1 verify || failures=$?
    for kind in leader minority one-way link flap; do
        total=$((total + FAULTS[$kind]))
        summary+="${summary:+, }$kind ${FAULTS[$kind]}"
    done
    say "---- partitions: seed $SEED, ${DURATION_S}s"
    say "faults injected: $total ($summary)"
    say "acknowledged redeems: $V_GRANTED ($V_REJECTED refused, $V_UNKNOWN unknown outcome)"
    say "redeems checked present: $V_PRESENT; lost: $V_LOST; duplicates: $V_DUPLICATES"
    say "limit violations: $V_OVER_LIMIT (counters unlike their history: $V_MISCOUNTED; coupons unreadable: $V_UNREADABLE)"
    say "replicas agree: $( ((V_AGREE)) && echo yes || echo NO)"
    ((failures == 0)) && { say "every check passed"; exit 0; }
    say "$failures checks FAILED (logs in $CLUSTER_DIR)"
    exit 1
}

# --- power cuts ---------------------------------------------------------------------------------

# shellcheck source=scripts/power_loss.sh
source "$ROOT/scripts/power_loss.sh"

# Unmounts every node's LazyFS (the nodes must be stopped), also the mounts of an earlier run
# that did not end cleanly. Fails if a mount stays.
teardown_mounts() {
    local i pids=()
    for i in 1 2 3; do
        if [[ -d "$(pl_dir "$i")" ]]; then
            pl_unmount "$i" &
            pids+=("$!")
        fi
    done
    for i in "${pids[@]}"; do wait "$i" || true; done
    if grep -qs " $PL_BASE/" /proc/mounts; then
        say "error: mounts remain under $PL_BASE:"
        grep " $PL_BASE/" /proc/mounts >&2
        return 1
    fi
}

# The pid of node I if it runs (as cluster.sh records it).
node_pid() {
    local file="$CLUSTER_DIR/node$1/node.pid" pid state
    [[ -f "$file" ]] || return 1
    pid="$(<"$file")"
    [[ "$pid" =~ ^[0-9]+$ && "$(cat "/proc/$pid/comm" 2>/dev/null)" == coupon-node* ]] || return 1
    state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" || return 1
    [[ "$state" != Z ]] || return 1
    echo "$pid"
}

# SIGKILLs the given nodes with one kill (so their power goes at the same moment) and waits until
# they are gone. A victim that no longer ran had exited on its own: a violation, unless the first
# argument is --disk-gone (its LazyFS died under it, and a node may well stop on I/O errors).
kill_nodes() {
    local v pid pids=() disk_gone=""
    if [[ "${1:-}" == --disk-gone ]]; then disk_gone=1 && shift; fi
    for v in "$@"; do
        if pid="$(node_pid "$v")"; then
            pids+=("$pid")
        elif [[ -n "$disk_gone" ]]; then
            say "node $v had already stopped after its disk went"
        else
            say "VIOLATION: node $v had exited on its own before its power cut (see $CLUSTER_DIR/node$v/node.log)"
            NODES_EXITED=$((NODES_EXITED + 1))
        fi
    done
    ((${#pids[@]} == 0)) || kill -KILL "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 1 100); do
        local alive=0
        for v in "$@"; do if node_pid "$v" >/dev/null; then alive=1; fi; done
        ((alive)) || break
        sleep 0.1
    done
    for v in "$@"; do
        if node_pid "$v" >/dev/null; then say "error: node $v survived SIGKILL"; exit 2; fi
        rm -f "$CLUSTER_DIR/node$v/node.pid"
    done
}

# Power cut of the given nodes: SIGKILL, then every unsynced byte of their mounts is dropped.
power_cut() {
    kill_nodes "$@"
    drop_unsynced "$@"
}

# Drops every unsynced byte of the given nodes' mounts; the nodes are dead.
drop_unsynced() {
    [[ "$DROP_UNSYNCED" == 1 ]] || return 0
    on_each_node_at_once pl_power_loss "$@" || { say "error: LazyFS could not drop the unsynced data"; exit 2; }
}

# Runs COMMAND I for every given node I at once; fails if any of them failed.
on_each_node_at_once() {
    local command="$1" v pids=() failed=0
    shift
    for v in "$@"; do
        "$command" "$v" &
        pids+=("$!")
    done
    for v in "${pids[@]}"; do wait "$v" || failed=1; done
    ((failed == 0))
}

# Torn writes on the Raft log of the given nodes: arms a torn fault (torn-op for the first, torn-op
# or torn-seq for the others) on each one's active segment,
# and as each LazyFS kills itself, SIGKILLs its node; the mounts are then mounted again. A node
# without $TORN_TARGET (raft-log/*.log), or whose fault found no write within TORN_WAIT_S, gets a
# plain power cut.
# Sets CUT_KIND to torn if a fault fired, else to the kind of the plain cut the victims got.
torn_cut() {
    local v file armed=() plain=() fired=() pending deadline up=3
    for v in "$@"; do
        if ! file="$(pl_active_segment "$v")"; then
            say "node $v: no $TORN_TARGET in its data dir (it holds: $(cd "$(pl_dir "$v")/root" && ls -m)), so this storage has no Raft log segment to tear; skipping the torn fault: node $v gets a plain power cut"
            plain+=("$v")
            continue
        fi
        # The first victim (the leader) always gets a torn-op: it fires on any write, while a
        # torn-seq needs two writes to the segment without an fsync between them, which a log
        # that syncs every write never makes.
        pl_torn_command "$file" "$( ((${#armed[@]} + ${#plain[@]} == 0)) && echo torn-op)"
        if pl_fault_command "$v" "$PL_TORN_COMMAND"; then
            say "node $v: ${PL_TORN_COMMAND#lazyfs::}"
            armed+=("$v")
            TORN_ARMED=$((TORN_ARMED + 1))
        else
            say "node $v: its LazyFS took no fault command; plain power cut"
            plain+=("$v")
        fi
    done
    ((${#plain[@]} == 0)) || power_cut "${plain[@]}"
    deadline=$((SECONDS + TORN_WAIT_S))
    pending=("${armed[@]}")
    while ((${#pending[@]})) && ((SECONDS <= deadline)); do
        local still=()
        for v in "${pending[@]}"; do
            if pl_lazyfs_pid "$v" >/dev/null; then
                still+=("$v")
            else
                kill_nodes --disk-gone "$v"
                fired+=("$v")
                say "node $v: torn write done, LazyFS died under it; node killed"
            fi
        done
        pending=("${still[@]}")
        ((${#pending[@]} == 0)) || sleep 0.05
        # With a majority down no entry is committed, so the remaining faults would wait for
        # writes that do not come.
        up=0
        for v in 1 2 3; do if node_pid "$v" >/dev/null; then up=$((up + 1)); fi; done
        if ((up < 2 && ${#pending[@]})); then
            say "node(s) ${pending[*]}: no quorum left to write the log, so no torn write to wait for"
            break
        fi
    done
    if ((${#pending[@]})); then
        ((up < 2)) || say "node(s) ${pending[*]}: torn fault not triggered within ${TORN_WAIT_S}s (no write to the segment, or for a torn-seq no two writes without an fsync between them)"
        # Killed first, so that no armed fault can fire between the look at LazyFS and the cut; a
        # fault that fired before it took the node's LazyFS, and its unsynced bytes, with it.
        kill_nodes --disk-gone "${pending[@]}"
        local unfired=()
        for v in "${pending[@]}"; do
            if pl_lazyfs_pid "$v" >/dev/null; then
                unfired+=("$v")
            else
                fired+=("$v")
                say "node $v: torn write done at its last moment, LazyFS died under it"
            fi
        done
        if ((${#unfired[@]})); then
            say "node(s) ${unfired[*]}: plain power cut"
            drop_unsynced "${unfired[@]}"
        fi
    fi
    TORN_FIRED=$((TORN_FIRED + ${#fired[@]}))
    # Mounted again: the fired ones to bring their dead mount back, the armed ones to disarm.
    on_each_node_at_once pl_remount "${armed[@]}" || { say "error: a LazyFS did not mount again"; exit 2; }
    if ((${#fired[@]})); then
        CUT_KIND=torn
    else
        TORN_SKIPPED=$((TORN_SKIPPED + 1))
        if (($# == 3)); then CUT_KIND=all; else CUT_KIND=majority; fi
    fi
}

# Restarts the given nodes together (so that a lost quorum comes back). Fails if one does not
# come back within START_TIMEOUT_S.
restart_nodes() {
    local v i pids=() failed=0
    for v in "$@"; do
        "$CLUSTER" restart "$v" >/dev/null 2>"$RUN/restart-$v.err" &
        pids+=("$!")
    done
    background_pids=("${pids[@]}")
    i=0
    for v in "$@"; do
        if ! wait "${pids[$i]}"; then
            say "VIOLATION: node $v did not come back after its power cut:"
            sed 's/^/    /' "$RUN/restart-$v.err" | tail -n 15 >&2
            failed=1
        fi
        i=$((i + 1))
    done
    background_pids=()
    ((failed == 0))
}

# Chooses the victims of a cut of KIND with $RANDOM (in this shell, so that SEED decides): sets
# VICTIMS.
choose_victims() {
    local kind=$1 leader spared v
    case "$kind" in
    all) VICTIMS=(1 2 3) ;;
    majority)
        spared=$((1 + RANDOM % 3))
        VICTIMS=()
        for v in 1 2 3; do ((v == spared)) || VICTIMS+=("$v"); done
        ;;
    leader | torn)
        leader="$(leader_index)" || { leader=$((1 + RANDOM % 3)); say "no leader known; taking node $leader"; }
        # The leader first: torn_cut gives the first victim a torn-op.
        if [[ "$kind" == leader ]]; then
            VICTIMS=("$leader")
        elif ((RANDOM % 2)); then
            VICTIMS=("$leader" $((leader % 3 + 1)) $(((leader + 1) % 3 + 1)))
        else
            VICTIMS=("$leader" $(((leader + RANDOM % 2) % 3 + 1)))
        fi
        ;;
    esac
}

sleep_tenths() { sleep "$(($1 / 10)).$(($1 % 10))"; }

start_workers() {
    local k=$1 w
    rm -f "$RUN/stop"
    for w in $(seq 1 "$WORKERS"); do
        worker "$w" "$RUN_DEADLINE" "$RUN/coupons-$k" "c$k-" &
        worker_pids+=("$!")
    done
}

# Lets every client finish its redeem in flight (60 s at most, then they are killed).
stop_workers() {
    local pid alive
    touch "$RUN/stop"
    for _ in $(seq 1 600); do
        alive=0
        for pid in "${worker_pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then alive=1; fi; done
        ((alive)) || break
        sleep 0.1
    done
    kill_workers
}

# The highest log index a stored snapshot of any node covers (0 when none has one or answers).
snapshot_index_now() {
    local i index highest=0
    for i in 1 2 3; do
        index=$(api_get "$i" /metrics 2>/dev/null | awk '$1 == "coupon_raft_snapshot_index" { print $2 }') || true
        if [[ "$index" =~ ^[0-9]+$ ]] && ((index > highest)); then highest=$index; fi
    done
    echo "$highest"
}

# One cycle: fresh coupons (COUPONS of c x LIMIT, one of 1,000,000), load, a cut of KIND at a random moment, restart, more load, checks.
# Fails when the cluster did not recover (the run stops there).
run_cycle() {
    local k=$1 kind=$2 before down after failures=0 recovered=0 started=$SECONDS
    : >"$RUN/limits-$k"
    if ! new_coupons "PL$k-" "$RUN/limits-$k" ||
        ! "$COUPON" --json generate --code "PL$k-OPEN" --percent 10 --expires-in 1d --usage-limit 1000000 |
        jq -r '"\(.id) \(.usage_limit)"' >>"$RUN/limits-$k"; then
        say "VIOLATION: cycle $k: the cluster did not create the cycle's coupons"
        FAILED_CHECKS=$((FAILED_CHECKS + 1))
        return 1
    fi
    cat "$RUN/limits-$k" >>"$RUN/limits"
    cut -d' ' -f1 "$RUN/limits-$k" | tee "$RUN/coupons-$k" >>"$RUN/coupons"
    before=$((10 + RANDOM % 31)) down=$((RANDOM % 9)) after=$((10 + RANDOM % 11))
    start_workers "$k"
    sleep_tenths "$before"
    local snapshot_index
    snapshot_index=$(snapshot_index_now)
    if ((snapshot_index > SNAPSHOT_INDEX)); then
        SNAPSHOT_INDEX=$snapshot_index SNAPSHOT_CYCLES=$((SNAPSHOT_CYCLES + 1))
    fi
    choose_victims "$kind"
    local t_victims=$SECONDS
    CUT_KIND="$kind"
    if [[ "$kind" == torn ]]; then torn_cut "${VICTIMS[@]}"; else power_cut "${VICTIMS[@]}"; fi
    CUTS_DONE[$CUT_KIND]=$((CUTS_DONE[$CUT_KIND] + 1))
    local t_cut_done=$SECONDS
    sleep_tenths "$down"
    local t_cut=$SECONDS
    restart_nodes "${VICTIMS[@]}" && recovered=1
    local t_restarted=$SECONDS
    ((recovered)) && sleep_tenths "$after"
    local t_stop=$SECONDS
    stop_workers
    local t_check=$SECONDS
    verify || failures=$?
    FAILED_CHECKS=$((FAILED_CHECKS + failures))
    local new=$((V_LOST - LOST_BEFORE))
    ((new <= 0)) || LOST_AFTER[$CUT_KIND]=$((LOST_AFTER[$CUT_KIND] + new))
    LOST_BEFORE=$V_LOST
    cp "$RUN/lost.txt" "$RUN/lost-after-cycle-$k.txt"
    local acked
    acked=$(cat "$RUN"/worker-c"$k"-*.log | grep -c '^granted' || true)
    say "cycle $k/$CYCLES ($((SECONDS - started))s: cut $((t_cut_done - t_victims))s, restart $((t_restarted - t_cut))s, clients' stop $((t_check - t_stop))s, checks $((SECONDS - t_check))s): $CUT_KIND cut of node(s) ${VICTIMS[*]} after $(sleep_label "$before") of load, down $(sleep_label "$down"); $acked acknowledged in the cycle, $V_GRANTED in all; $V_LOST lost ($((new > 0 ? new : 0)) new), $V_DUPLICATES applied twice, $V_OVER_LIMIT over limit; $( ((V_AGREE)) && echo "replicas agree" || echo "replicas DISAGREE or unreadable")"
    ((recovered))
}

sleep_label() { echo "$(($1 / 10)).$(($1 % 10))s"; }

power_loss_main() {
    if ! pl_fuse_present; then
        if [[ "${CI:-}" == true ]]; then
            say "error: FUSE is missing (no /dev/fuse), so the power-loss run cannot run; under CI=true that fails"
            exit 2
        fi
        say "skipped: FUSE is missing on this machine (no /dev/fuse), and the power-loss run needs it for LazyFS"
        exit 0
    fi
    local kinds kind
    IFS=, read -ra kinds <<<"${KINDS:-all,majority,leader,all,majority,torn}"
    ((${#kinds[@]})) || usage_error "KINDS is empty"
    for kind in "${kinds[@]}"; do
        [[ "$kind" =~ ^(all|majority|leader|torn)$ ]] || usage_error "KINDS: unknown kind '$kind' (all, majority, leader, torn)"
    done
    RUN_LIMIT_S="${RUN_LIMIT_S:-900}"
    DROP_UNSYNCED="${DROP_UNSYNCED:-1}"
    [[ "$DROP_UNSYNCED" =~ ^[01]$ ]] || usage_error "DROP_UNSYNCED must be 0 or 1"
    [[ "$RUN_LIMIT_S" =~ ^[0-9]+$ ]] || usage_error "RUN_LIMIT_S must be a number"
    [[ "$TORN_WAIT_S" =~ ^[0-9]+$ ]] || usage_error "TORN_WAIT_S must be a number"

    pl_prepare || exit 2
    build_binaries || exit 2
    # What an earlier run left (it should have left nothing), then a fresh cluster on fresh mounts.
    [[ -f "$CLUSTER_DIR/cluster.env" ]] && { "$CLUSTER" stop >/dev/null 2>&1 || true; }
    teardown_mounts || exit 2
    rm -rf --one-file-system "$CLUSTER_DIR" "$PL_BASE"/n[123]
    mkdir -p "$RUN"
    local i pids=()
    for i in 1 2 3; do
        mkdir -p "$CLUSTER_DIR/node$i"
        pl_mount "$i" &
        pids+=("$!")
    done
    for i in "${pids[@]}"; do wait "$i" || exit 2; done
    "$CLUSTER" start 3 >/dev/null || exit 2
    load_addresses || exit 2
    use_admin_key
    for i in 1 2 3; do
        [[ -n "$(find "$(pl_dir "$i")/root" -type f -print -quit)" ]] ||
            { say "error: node $i does not keep its data on its LazyFS mount"; exit 2; }
    done
    : >"$RUN/limits"
    : >"$RUN/coupons"

    declare -gA CUTS_DONE=([all]=0 [majority]=0 [leader]=0 [torn]=0)
    declare -gA LOST_AFTER=([all]=0 [majority]=0 [leader]=0 [torn]=0)
    TORN_ARMED=0 TORN_FIRED=0 TORN_SKIPPED=0 NODES_EXITED=0 FAILED_CHECKS=0 LOST_BEFORE=0
    V_GRANTED=0 V_REJECTED=0 V_UNKNOWN=0 V_PRESENT=0 V_LOST=0 V_DUPLICATES=0 V_OVER_LIMIT=0
    V_MISCOUNTED=0 V_UNREADABLE=0 V_AGREE=0 SNAPSHOT_INDEX=0 SNAPSHOT_CYCLES=0
    say "seed $SEED: $CYCLES power-cut cycles (kinds in turn: ${kinds[*]}), $WORKERS clients, $COUPONS coupons of $LIMIT to $((COUPONS * LIMIT)) uses and one of 1,000,000 per cycle, at most ${RUN_LIMIT_S}s$( ((DROP_UNSYNCED)) || echo "; control run: cuts only SIGKILL, nothing is dropped")"
    local started=$SECONDS k done_cycles=0 longest=30 cycle_start incomplete=""
    RUN_DEADLINE=$((SECONDS + RUN_LIMIT_S))
    for ((k = 1; k <= CYCLES; k++)); do
        if ((SECONDS + longest > RUN_DEADLINE)); then
            incomplete="the time bound (RUN_LIMIT_S=${RUN_LIMIT_S}s) left no room for cycle $k"
            break
        fi
        cycle_start=$SECONDS
        if ! run_cycle "$k" "${kinds[$(((k - 1) % ${#kinds[@]}))]}"; then
            done_cycles=$k
            incomplete="the cluster did not recover in cycle $k"
            break
        fi
        done_cycles=$k
        ((SECONDS - cycle_start <= longest)) || longest=$((SECONDS - cycle_start))
    done
    FAILED_CHECKS=$((FAILED_CHECKS + NODES_EXITED))

    say "---- power loss: seed $SEED, $done_cycles of $CYCLES cycles in $((SECONDS - started))s"
    say "cuts: all ${CUTS_DONE[all]}, majority ${CUTS_DONE[majority]}, leader ${CUTS_DONE[leader]}, torn ${CUTS_DONE[torn]} (torn faults fired $TORN_FIRED of $TORN_ARMED armed; torn cycles without one: $TORN_SKIPPED)"
    say "acknowledged redeems: $V_GRANTED ($V_REJECTED refused, $V_UNKNOWN unknown outcome)"
    say "snapshots: a newer one was stored before the cut in $SNAPSHOT_CYCLES of $done_cycles cycles, the last at log index $SNAPSHOT_INDEX (every $COUPON_SNAPSHOT_EVERY entries, $COUPON_LOGS_KEPT_BEHIND_SNAPSHOT kept behind)"
    say "redeems checked present: $V_PRESENT"
    say "lost: $V_LOST (first found missing after a cut of: all ${LOST_AFTER[all]}, majority ${LOST_AFTER[majority]}, leader ${LOST_AFTER[leader]}, torn ${LOST_AFTER[torn]})"
    say "duplicates: $V_DUPLICATES"
    say "limit violations: $V_OVER_LIMIT (counters unlike their history: $V_MISCOUNTED; coupons unreadable: $V_UNREADABLE)"
    say "replicas converge: $( ((V_AGREE)) && echo yes || echo NO); nodes that exited on their own: $NODES_EXITED"
    if [[ -n "$incomplete" ]]; then
        say "INCOMPLETE: $incomplete"
        FAILED_CHECKS=$((FAILED_CHECKS + 1))
    fi
    if ((FAILED_CHECKS == 0)); then
        say "every check passed"
        exit 0
    fi
    say "FAILED ($FAILED_CHECKS failed check(s) over the run; logs in $CLUSTER_DIR, data in $PL_BASE)"
    exit 1
}

case "$MODE" in
power-loss) power_loss_main ;;
partitions) partitions_main ;;
*) kill_main ;;
esac
