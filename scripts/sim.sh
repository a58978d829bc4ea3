#!/usr/bin/env bash
# Deterministic simulation of the coupon cluster (the `simulation` crate, under madsim).
#
#   scripts/sim.sh [options] [SEEDS]
#
#   SEEDS                 seeds per scenario (default: the CI run, 30 per scenario and
#                         REGION_SEEDS_DEFAULT per region scenario, which cost more each)
#   --scenario NAME       only this scenario (repeatable): partitions, crashes,
#                         snapshot_catch_up, membership, lossy_network, mixed, truncation,
#                         clock_skew, regions_3, regions_5, preferred_region_loss
#   --broken FEATURE      build the node deliberately broken: no-idempotency, ack-before-flush,
#                         snapshot-without-idempotency, stale-follower-reads, blind-resend,
#                         confirm-after-expiry, no-leader-preference, unheld-first-stamp,
#                         ungated-elections
#                         ("broken-" optional)
#   --detect              with --broken: report per scenario how many seeds caught the bug and
#                         the first that did; exits 0 only if every scenario run caught it
#   --no-determinism      skip the same-seed-twice check
#   -j N                  seeds run at once (default: the number of cores)
#   -v, --verbose         print every seed's plan, fault log and fingerprint
#
# Besides pass or fail it reports, per scenario, the failover latency (from each election to the
# new leader's first committed write: p50, p99, max over every election of every seed) and how
# far log time ran ahead of the true time of day at most; for the region scenarios, redeem and
# validate latency per client region beside the floor the delay matrix implies, and how long
# after the start and each heal the leader settled in the preferred region.
#
# Environment: MADSIM_TEST_SEED is the first seed (default 1); seeds are consecutive.
# Every seed runs in a process of its own: tokio's `select!` (used inside openraft) seeds its
# branch order from a process-wide counter, so only a fresh process replays a seed exactly.
# Reproduce a failure with the command it prints, e.g.
#   MADSIM_TEST_SEED=1234 scripts/sim.sh --scenario crashes 1
# A failing seed writes its whole run to target/sim-failures/<scenario>-seed-<seed>.json.
set -euo pipefail

cd "$(dirname "$0")/.."

ALL_SCENARIOS=(partitions crashes snapshot_catch_up membership lossy_network mixed truncation clock_skew
    regions_3 regions_5 preferred_region_loss)
REGION_SCENARIOS=" regions_3 regions_5 preferred_region_loss "
SEEDS_DEFAULT=30
REGION_SEEDS_DEFAULT=10
seeds=""
scenarios=()
broken=""
detect=0
determinism=1
verbose=0
jobs=$(nproc 2>/dev/null || echo 2)

while [ $# -gt 0 ]; do
    case "$1" in
        --scenario) scenarios+=("$2"); shift 2 ;;
        --broken) broken="broken-${2#broken-}"; shift 2 ;;
        --detect) detect=1; shift ;;
        --no-determinism) determinism=0; shift ;;
        -j) jobs="$2"; shift 2 ;;
        -v|--verbose) verbose=1; shift ;;
        -h|--help) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        [0-9]*) seeds="$1"; shift ;;
        *) echo "sim.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
done
[ ${#scenarios[@]} -gt 0 ] || scenarios=("${ALL_SCENARIOS[@]}")
for scenario in "${scenarios[@]}"; do
    case " ${ALL_SCENARIOS[*]} " in
        *" $scenario "*) ;;
        *) echo "sim.sh: unknown scenario $scenario" >&2; exit 2 ;;
    esac
done
if [ "$detect" = 1 ] && [ -z "$broken" ]; then
    echo "sim.sh: --detect needs --broken FEATURE" >&2
    exit 2
fi

first_seed="${MADSIM_TEST_SEED:-1}"
# Seeds of scenario $1: SEEDS if given, else its CI default.
seeds_of() {
    if [ -n "$seeds" ]; then
        echo "$seeds"
    elif [[ "$REGION_SCENARIOS" == *" $1 "* ]]; then
        echo "$REGION_SEEDS_DEFAULT"
    else
        echo "$SEEDS_DEFAULT"
    fi
}
last_of() { echo $((first_seed + $(seeds_of "$1") - 1)); }
export RUSTFLAGS="--cfg madsim"
export CARGO_TARGET_DIR=target/sim
# The workspace's own crates at opt-level 1 too (dependencies already are): seeds run about
# seven times faster, and debug assertions (the node's and openraft's) stay on.
export CARGO_PROFILE_DEV_OPT_LEVEL=1
export RUST_BACKTRACE="${RUST_BACKTRACE:-0}"
unset MADSIM_TEST_NUM MADSIM_TEST_CHECK_DETERMINISM
features=()
[ -z "$broken" ] || features=(--features "$broken")

echo "sim.sh: building the simulation${broken:+ with $broken}"
build_log=$(cargo test -p coupon-simulation --tests --no-run "${features[@]}" 2>&1) || {
    echo "$build_log" >&2
    exit 1
}
binary=$(echo "$build_log" | sed -n 's/.*Executable tests\/it\/main.rs (\(.*\))/\1/p' | tail -1)
library=$(echo "$build_log" | sed -n 's/.*Executable unittests src\/lib.rs (\(.*\))/\1/p' | tail -1)
if [ -z "$binary" ] || [ -z "$library" ]; then
    echo "sim.sh: cannot find the test binaries in cargo's output" >&2
    exit 1
fi
"$library" -q >/dev/null 2>&1 || { echo "sim.sh: the checker's own tests failed" >&2; "$library"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs "SCENARIO SEED [TAG]" lines from stdin, `jobs` at a time, one process each; leaves
# $work/SCENARIO-SEED[TAG].out and .rc behind.
# A seed takes well under a minute; the limits only stop a hung run (simulated and real time).
run_seeds() {
    xargs -P "$jobs" -L 1 sh -c '
        MADSIM_TEST_SEED="$2" MADSIM_TEST_TIME_LIMIT=600 timeout 600 \
            "$0" "scenarios::$1" --exact --nocapture >"'"$work"'/$1-$2$3.out" 2>&1
        echo $? >"'"$work"'/$1-$2$3.rc"' "$binary"
}

now() { date +%s.%N; }

# Whether run "$1-$2" failed: a non-zero exit, or no test ran at all (a scenario in this script's
# list whose test was renamed would otherwise "pass" every seed without running one).
seed_failed() {
    [ "$(cat "$work/$1-$2.rc")" != 0 ] || ! grep -q '^test result: ok\. 1 passed' "$work/$1-$2.out"
}

# What caught the failing seeds of scenario $1: how many seeds each invariant (or a panic
# inside the run, by source file) failed.
caught_by() {
    for ((seed = first_seed; seed <= $(last_of "$1"); seed++)); do
        seed_failed "$1" "$seed" || continue
        found=$(sed -n 's/^  \[\([a-z_]*\)\].*/\1/p' "$work/$1-$seed.out" | sort -u)
        [ -n "$found" ] || found=$(sed -n 's/.*panicked at \([^:]*\):.*/panic:\1/p' \
            "$work/$1-$seed.out" | grep -v 'report.rs' | head -1 | sed 's#:.*/\([^/]*/src/\)#:\1#')
        echo "${found:-unknown}"
    done | sort | uniq -c | sort -rn | awk '{printf "%s%s %s", sep, $2, $1; sep=", "}'
}

runs=0
for scenario in "${scenarios[@]}"; do runs=$((runs + $(seeds_of "$scenario"))); done
echo "sim.sh: ${#scenarios[@]} scenario(s), $runs seeds from $first_seed${broken:+, $broken}, $jobs at a time"
start=$(now)
for scenario in "${scenarios[@]}"; do
    for ((seed = first_seed; seed <= $(last_of "$scenario"); seed++)); do echo "$scenario $seed"; done
done | run_seeds
elapsed=$(echo "$(now) - $start" | bc)

failed=0
uncaught=0
for scenario in "${scenarios[@]}"; do
    caught=0
    first=""
    scenario_seeds=$(seeds_of "$scenario")
    for ((seed = first_seed; seed <= $(last_of "$scenario"); seed++)); do
        [ "$verbose" = 0 ] || grep '^\[sim\]' "$work/$scenario-$seed.out" || true
        if seed_failed "$scenario" "$seed"; then
            caught=$((caught + 1))
            [ -n "$first" ] || first=$seed
        fi
    done
    if [ "$detect" = 1 ]; then
        if [ -n "$first" ]; then
            echo "$broken $scenario: caught on $caught of $scenario_seeds seeds; first at seed $first" \
                "($((first - first_seed + 1)) seed(s) tried); by: $(caught_by "$scenario")"
        else
            echo "$broken $scenario: NOT caught in $scenario_seeds seeds"
            uncaught=$((uncaught + 1))
        fi
    elif [ -n "$first" ]; then
        failed=$((failed + caught))
        echo "sim.sh: $scenario FAILED on $caught of $scenario_seeds seeds; the first, seed $first:"
        grep -v '^\[sim\]' "$work/$scenario-$first.out" \
            | grep -E -A30 'failed on seed|panicked' | grep -v '^ *[0-9]*: \|^ *at ' | head -45
    else
        echo "sim.sh: $scenario passed $scenario_seeds seeds"
    fi
done
# p50, p99 and max of the numbers (ms) on stdin, labelled $1.
percentiles() {
    tr ' ' '\n' | grep . | sort -g | awk -v name="$1" '
        { ms[NR] = $1 }
        END {
            if (NR == 0) { printf "sim.sh: %s: no election committed a write\n", name; exit }
            p99 = int(NR * 0.99); if (p99 < NR * 0.99) p99++
            printf "sim.sh: %s: %d elections, p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
                name, NR, ms[int((NR + 1) / 2)], ms[p99], ms[NR]
        }'
}

# Failover latency and log-time lead of scenario $1, from the lines every passing seed prints.
report_timing() {
    for ((seed = first_seed; seed <= $(last_of "$1"); seed++)); do
        sed -n 's/^\[sim\] failover [a-z_0-9]* [0-9]* without_write=[0-9]* ms://p' "$work/$1-$seed.out"
    done | percentiles "$1 failover (election to first write committed)"
    for ((seed = first_seed; seed <= $(last_of "$1"); seed++)); do
        sed -n 's/^\[sim\] quorum_to_write [a-z_0-9]* [0-9]* ms://p' "$work/$1-$seed.out"
    done | percentiles "$1 failover (first commit of the term to first write committed)"
    for ((seed = first_seed; seed <= $(last_of "$1"); seed++)); do
        sed -n 's/^\[sim\] log_time_lead [a-z_0-9]* \([0-9]*\) \(-\{0,1\}[0-9]*\) ms.*/\2 \1/p' "$work/$1-$seed.out"
    done | sort -g | tail -1 | awk -v name="$1" \
        '{ printf "sim.sh: %s log time at most %.1f s ahead of the true time (seed %s)\n", name, $1 / 1000, $2 }'
}

# How long after the start and each heal the leader settled in the preferred region (scenario
# $1): p50, p99, max, and the quiet stretches in which it never did.
report_preferred_leader() {
    for ((seed = first_seed; seed <= $(last_of "$1"); seed++)); do
        sed -n 's/^\[sim\] preferred_leader [a-z_0-9]* [0-9]* ms://p' "$work/$1-$seed.out"
    done | tr ' ' '\n' | grep . | sort -g | awk -v name="$1" '
        /^never/ { never++; next }
        { ms[++n] = $1 }
        END {
            p99 = int(n * 0.99); if (p99 < n * 0.99) p99++
            if (n == 0) { printf "sim.sh: %s: the leader never settled in the preferred region\n", name; exit }
            printf "sim.sh: %s leader in the preferred region after start or heal: %d stretches, p50 %.0f ms, p99 %.0f ms, max %.0f ms; never in %d\n",
                name, n, ms[int((n + 1) / 2)], ms[p99], ms[n], never
        }'
}

# Redeem and validate latency per client region of scenario $1 (operations in quiet stretches
# under a leader of the preferred region), beside the floor the delay matrix implies.
report_region_latency() {
    echo "sim.sh: $1 latency per client region (ms): operations, p50, p99, floor (mean), p50 / floor"
    for ((seed = first_seed; seed <= $(last_of "$1"); seed++)); do
        sed -n 's/^\[sim\] region_latency [a-z_0-9]* [0-9]* \([a-z]*\) \([a-z]*\) ms: \(.*\)/\1 \2 \3/p' \
            "$work/$1-$seed.out"
    done | awk '{ for (i = 3; i <= NF; i++) { split($i, pair, "/"); print $1, $2, pair[1], pair[2] } }' \
        | sort -k1,1 -k2,2 -k3,3g | awk -v name="$1" '
        function flush() {
            if (n == 0) return
            p99 = int(n * 0.99); if (p99 < n * 0.99) p99++
            p50 = ms[int((n + 1) / 2)]; floor = floor_sum / n
            printf "sim.sh: %s   %s %-8s %6d  %7.1f  %7.1f  %7.1f  %5.2f\n",
                name, region, kind, n, p50, ms[p99], floor, p50 / floor
            n = 0; floor_sum = 0
        }
        $1 != region || $2 != kind { flush(); region = $1; kind = $2 }
        { ms[++n] = $3; floor_sum += $4 }
        END { flush() }'
}

if [ "$detect" = 0 ]; then
    for scenario in "${scenarios[@]}"; do report_timing "$scenario"; done
    for kind in "failover [a-z_0-9]* [0-9]* without_write=[0-9]*" "quorum_to_write [a-z_0-9]* [0-9]*"; do
        for scenario in "${scenarios[@]}"; do
            for ((seed = first_seed; seed <= $(last_of "$scenario"); seed++)); do
                sed -n "s/^\\[sim\\] $kind ms://p" "$work/$scenario-$seed.out"
            done
        done | percentiles "every scenario: ${kind%% *}"
    done
    for scenario in "${scenarios[@]}"; do
        [[ "$REGION_SCENARIOS" == *" $scenario "* ]] || continue
        report_preferred_leader "$scenario"
        report_region_latency "$scenario"
    done
fi
echo "sim.sh: $runs runs in $(printf "%.1f" "$elapsed") s ($(echo "scale=2; $runs / $elapsed" | bc) seeds/s with $jobs at a time)"

if [ "$detect" = 1 ]; then
    [ "$uncaught" = 0 ] || exit 1
    exit 0
fi

if [ "$determinism" = 1 ] && [ "$failed" = 0 ]; then
    # Same seed twice, each in a fresh process: the runs' fingerprints (a hash of the whole
    # history, fault log, final state and Raft observations) must be equal.
    for scenario in "${scenarios[@]}"; do echo "$scenario $first_seed .again"; done | run_seeds
    for scenario in "${scenarios[@]}"; do
        once=$(grep '^\[sim\] fingerprint' "$work/$scenario-$first_seed.out" || true)
        again=$(grep '^\[sim\] fingerprint' "$work/$scenario-$first_seed.again.out" || true)
        if [ -z "$once" ] || [ "$once" != "$again" ]; then
            echo "sim.sh: $scenario seed $first_seed is NOT deterministic: '$once' vs '$again'"
            failed=$((failed + 1))
        fi
    done
    [ "$failed" != 0 ] || echo "sim.sh: determinism: seed $first_seed of every scenario replayed identically"
fi

if [ "$failed" = 0 ]; then
    echo "sim.sh: all passed"
else
    echo "sim.sh: FAILED"
    exit 1
fi
