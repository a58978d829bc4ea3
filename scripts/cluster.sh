#!/usr/bin/env bash
# Manage a local coupon cluster of `coupon-node` processes on loopback (127.0.0.1 by default).
#
#   scripts/cluster.sh start [--tls] [N]
#                                  start N nodes (default $NODES or 3), bootstrap, wait until every
#                                  node is ready; prints the API addresses, one per line. --tls:
#                                  every node serves its API and peer link over TLS (see below)
#   scripts/cluster.sh stop        stop every node this cluster directory started (SIGTERM, by pid)
#   scripts/cluster.sh kill I      SIGKILL node I
#   scripts/cluster.sh restart I   start node I again on its data; waits for /healthz and, while a
#                                  majority of the nodes runs, for /readyz
#   scripts/cluster.sh status      each node's pid, role, term and last applied index
#   scripts/cluster.sh addresses   each node's API address, one per line, in node order
#
# Environment:
#   NODES=3                 node count for `start`
#   API_PORT_BASE=8080      node i serves its API on 127.0.0.1:$((API_PORT_BASE + i))
#   PEER_PORT_BASE=9080     ... and Raft RPC on 127.0.0.1:$((PEER_PORT_BASE + i))
#   NODE_HOST_BASE          e.g. 127.0.0.10: node i gets a loopback address of its own, 127.0.0.11,
#                           .12, ...: its API and peer listeners are bound there, and its own
#                           connections to peers are made from there (--source-addr), so that a
#                           firewall rule on addresses can cut one link (scripts/chaos.sh
#                           --partitions). Loopback (127.0.0.0/8) only; not with --tls (the
#                           certificates name 127.0.0.1). Unset: every node on 127.0.0.1
#   NODE_REGIONS            e.g. eu,us,ap: node i is in the i-th region (--region), and the
#                           other nodes' --peers name it with @REGION; one region per node.
#                           Unset: no regions
#   PEER_ADVERTISE_PORT_BASE  e.g. 10080: node i tells the others to reach its peer listener at
#                           its host:$((PEER_ADVERTISE_PORT_BASE + i)) (--advertise-peer-addr; the
#                           --peers lists name that address), while it still listens on its
#                           peer address: a relay in between (scripts/regions.sh) must be
#                           running there. Unset: the peer address itself
#   CLUSTER_DIR=./target/cluster   data, logs and pid files (node<i>/{data,node.log,node.pid})
#   COUPON_NODE_BIN         use this binary instead of building target/release/coupon-node
#   START_TIMEOUT_S=60      bound on `start` and `restart` waiting for health and readiness
#   STOP_TIMEOUT_S=15       bound on a graceful stop before SIGKILL
#   COUPON_*                passed through to every node (e.g. COUPON_CLUSTER_SECRET, RUST_LOG);
#                           COUPON_WORKER_THREADS defaults to this machine's cores / N (at least 1)
#   COUPON_ADMIN_KEY        the bootstrap admin key; `start` without it generates one. Either way
#                           it is kept in $CLUSTER_DIR/admin.key (mode 600), which the nodes read
#                           (--admin-key-file) and the other commands use; send it to the API as
#                           `Authorization: Bearer $(cat $CLUSTER_DIR/admin.key)`
#   CLUSTER_OPEN=1          `start` with no admin key: the nodes run open (loopback only), every
#                           request allowed without a key, as a first try or for comparisons
#
# TLS (`start --tls`): a local CA and one certificate per node (SAN IP 127.0.0.1 and DNS
# localhost) are made with the openssl CLI under $CLUSTER_DIR/tls/ (ca.pem, ca-key.pem,
# node<i>.pem, node<i>-key.pem; kept and reused by later starts), and each node gets
# --tls-cert/--tls-key/--tls-ca, so its API, its peer link (still guarded by the cluster secret
# when one is set) and its calls to peers are TLS. Clients trust the CA:
#   coupon --ca-cert $CLUSTER_DIR/tls/ca.pem --nodes https://127.0.0.1:8081 ...
#   curl --cacert $CLUSTER_DIR/tls/ca.pem https://127.0.0.1:8081/healthz
# Without --tls the nodes speak plain HTTP on loopback, as a first try.
#
# `start` records N, the port bases and TLS in $CLUSTER_DIR/cluster.env; the other commands read them
# from there, so they act on the cluster that was started whatever the current environment says.
# Nodes run detached (setsid, stdin from /dev/null, output to node.log), so no command holds its
# caller's stdout open. Progress goes to stderr; stdout carries only results.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLUSTER_DIR="${CLUSTER_DIR:-$ROOT/target/cluster}"
mkdir -p "$CLUSTER_DIR"
CLUSTER_DIR="$(cd "$CLUSTER_DIR" && pwd)"
START_TIMEOUT_S="${START_TIMEOUT_S:-60}"
STOP_TIMEOUT_S="${STOP_TIMEOUT_S:-15}"
POLL_S=0.1

say() { echo "cluster.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 64
}

node_dir() { echo "$CLUSTER_DIR/node$1"; }
# Node I's address: its own under NODE_HOST_BASE, else 127.0.0.1.
node_host() {
    if [[ -n "${NODE_HOST_BASE:-}" ]]; then echo "${NODE_HOST_BASE%.*}.$((${NODE_HOST_BASE##*.} + $1))"; else echo 127.0.0.1; fi
}
api_addr() { echo "$(node_host "$1"):$((API_PORT_BASE + $1))"; }
peer_addr() { echo "$(node_host "$1"):$((PEER_PORT_BASE + $1))"; }
# Where the other nodes reach node I's peer listener: a relay's front under
# PEER_ADVERTISE_PORT_BASE, else the listener itself.
advertised_peer_addr() {
    if [[ -n "${PEER_ADVERTISE_PORT_BASE:-}" ]]; then
        echo "$(node_host "$1"):$((PEER_ADVERTISE_PORT_BASE + $1))"
    else
        peer_addr "$1"
    fi
}
# Node I's region under NODE_REGIONS (the I-th entry), else nothing.
node_region() {
    [[ -n "${NODE_REGIONS:-}" ]] || return 0
    local regions
    IFS=, read -r -a regions <<<"$NODE_REGIONS"
    echo "${regions[$(($1 - 1))]}"
}
pid_file() { echo "$(node_dir "$1")/node.pid"; }
admin_key_file() { echo "$CLUSTER_DIR/admin.key"; }
tls_dir() { echo "$CLUSTER_DIR/tls"; }
scheme() { if [[ "${TLS:-0}" == 1 ]]; then echo https; else echo http; fi; }

# curl with the cluster's CA when it runs TLS.
curl_tls() {
    if [[ "${TLS:-0}" == 1 ]]; then
        curl --cacert "$(tls_dir)/ca.pem" "$@"
    else
        curl "$@"
    fi
}

# The local CA and a certificate per node (SAN 127.0.0.1, localhost), unless already made.
ensure_tls() {
    local dir i
    dir="$(tls_dir)"
    command -v openssl >/dev/null || die "--tls needs the openssl command"
    mkdir -p "$dir"
    chmod 700 "$dir"
    if [[ ! -s "$dir/ca.pem" || ! -s "$dir/ca-key.pem" ]]; then
        printf '%s\n' '[req]' 'distinguished_name = dn' 'x509_extensions = v3_ca' 'prompt = no' \
            '[dn]' 'CN = coupon local CA' \
            '[v3_ca]' 'basicConstraints = critical,CA:TRUE' 'keyUsage = critical,keyCertSign,cRLSign' \
            'subjectKeyIdentifier = hash' >"$dir/ca.cnf"
        openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
            -config "$dir/ca.cnf" -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" 2>/dev/null ||
            die "openssl could not make the CA"
        rm -f "$dir"/node*.pem
        say "made a local CA: $dir/ca.pem"
    fi
    printf '%s\n' 'subjectAltName = IP:127.0.0.1,DNS:localhost' 'basicConstraints = CA:FALSE' \
        'keyUsage = critical,digitalSignature' 'extendedKeyUsage = serverAuth,clientAuth' \
        >"$dir/node.ext"
    for ((i = 1; i <= NODES; i++)); do
        [[ -s "$dir/node$i.pem" && -s "$dir/node$i-key.pem" ]] && continue
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
            -out "$dir/node$i-key.pem" 2>/dev/null || die "openssl could not make node $i's key"
        openssl req -new -key "$dir/node$i-key.pem" -subj "/CN=coupon-node-$i" \
            -out "$dir/node$i.csr" 2>/dev/null || die "openssl could not make node $i's request"
        openssl x509 -req -in "$dir/node$i.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" \
            -CAcreateserial -days 365 -extfile "$dir/node.ext" -out "$dir/node$i.pem" 2>/dev/null ||
            die "openssl could not sign node $i's certificate"
        rm -f "$dir/node$i.csr"
    done
    chmod 600 "$dir"/*-key.pem
}

# The cluster's admin key: COUPON_ADMIN_KEY when set, else the one kept from an earlier start,
# else a new one (24 random bytes in hex). Kept in admin.key either way.
ensure_admin_key() {
    local file key
    file="$(admin_key_file)"
    if [[ "${CLUSTER_OPEN:-0}" == 1 ]]; then
        rm -f "$file"
        say "CLUSTER_OPEN=1: no admin key, the nodes run open"
        return
    elif [[ -n "${COUPON_ADMIN_KEY:-}" ]]; then
        key="$COUPON_ADMIN_KEY"
    elif [[ -s "$file" ]]; then
        key="$(<"$file")"
    else
        key="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
        say "generated an admin key: $file"
    fi
    (umask 077 && printf '%s\n' "$key" >"$file")
}

# curl with the cluster's admin key, when it has one (and its CA under TLS).
curl_admin() {
    local file
    file="$(admin_key_file)"
    if [[ -s "$file" ]]; then
        curl_tls -H "Authorization: Bearer $(<"$file")" "$@"
    else
        curl_tls "$@"
    fi
}

# Loads the layout `start` recorded; the other commands never guess it.
load_layout() {
    [[ -f "$CLUSTER_DIR/cluster.env" ]] ||
        die "no cluster in $CLUSTER_DIR (run: scripts/cluster.sh start)"
    TLS=0 NODE_HOST_BASE="" NODE_REGIONS="" PEER_ADVERTISE_PORT_BASE=""
    # shellcheck disable=SC1091
    source "$CLUSTER_DIR/cluster.env"
}

check_index() {
    [[ "$1" =~ ^[0-9]+$ ]] && ((1 <= $1 && $1 <= NODES)) ||
        die "node index must be 1..$NODES, got '$1'"
}

# The pid of node I if that process is alive and is a coupon-node (a recycled pid is not ours).
running_pid() {
    local file pid state
    file="$(pid_file "$1")"
    [[ -f "$file" ]] || return 1
    pid="$(<"$file")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/stat" ]] || return 1
    state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" || return 1
    [[ "$state" != Z ]] || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == coupon-node* ]] || return 1
    echo "$pid"
}

running_count() {
    local i count=0
    for ((i = 1; i <= NODES; i++)); do
        if running_pid "$i" >/dev/null; then count=$((count + 1)); fi
    done
    echo "$count"
}

# HTTP status of GET http(s)://ADDR/PATH, or 000 when nothing answers.
http_status() {
    curl_tls -s -o /dev/null -w '%{http_code}' --connect-timeout 1 --max-time 2 \
        "$(scheme)://$1$2" || true
}

node_binary() {
    if [[ -n "${COUPON_NODE_BIN:-}" ]]; then
        [[ -x "$COUPON_NODE_BIN" ]] || die "COUPON_NODE_BIN=$COUPON_NODE_BIN is not executable"
        echo "$COUPON_NODE_BIN"
        return
    fi
    local binary="$ROOT/target/release/coupon-node"
    # `start` always asks cargo (a no-op when fresh); `restart` keeps the binary the cluster runs.
    if [[ "${1:-}" == build || ! -x "$binary" ]]; then
        say "building the release binary (cargo build --release -p coupon-node)"
        (cd "$ROOT" && cargo build --release -p coupon-node >&2) || die "cargo build failed"
    fi
    echo "$binary"
}

peer_list() {
    local i list=""
    for ((i = 1; i <= NODES; i++)); do
        if ((i != $1)); then
            list+="${list:+,}$i=$(api_addr "$i")/$(advertised_peer_addr "$i")"
            [[ -z "${NODE_REGIONS:-}" ]] || list+="@$(node_region "$i")"
        fi
    done
    echo "$list"
}

# Starts node I detached; extra flags (e.g. --bootstrap) follow. Records its pid.
launch() {
    local index="$1" binary="$2"
    shift 2
    local dir pid args
    dir="$(node_dir "$index")"
    mkdir -p "$dir/data"
    args=(--node-id "$index" --api-addr "$(api_addr "$index")" --peer-addr "$(peer_addr "$index")"
        --data-dir "$dir/data")
    if ((NODES > 1)); then args+=(--peers "$(peer_list "$index")"); fi
    [[ -z "${NODE_HOST_BASE:-}" ]] || args+=(--source-addr "$(node_host "$index")")
    [[ -z "${NODE_REGIONS:-}" ]] || args+=(--region "$(node_region "$index")")
    [[ -z "${PEER_ADVERTISE_PORT_BASE:-}" ]] ||
        args+=(--advertise-peer-addr "$(advertised_peer_addr "$index")")
    args+=("$@")
    # Nodes that share this machine each get their share of its cores (at least one worker
    # thread), unless COUPON_WORKER_THREADS says otherwise: oversubscribed workers cost CPU in
    # context switches (measured: 300 against 330-440 us of node CPU per redeem on 2 cores).
    local cores
    cores="$(nproc 2>/dev/null || echo 1)"
    export COUPON_WORKER_THREADS="${COUPON_WORKER_THREADS:-$(((cores / NODES) > 1 ? cores / NODES : 1))}"
    [[ -s "$(admin_key_file)" ]] && args+=(--admin-key-file "$(admin_key_file)")
    if [[ "${TLS:-0}" == 1 ]]; then
        args+=(--tls-cert "$(tls_dir)/node$index.pem" --tls-key "$(tls_dir)/node$index-key.pem"
            --tls-ca "$(tls_dir)/ca.pem")
    fi
    echo "=== $(date -u +%FT%TZ) start: ${args[*]}" >>"$dir/node.log"
    # No job control in a script, so neither setsid nor env forks: $! is the node's own pid. The
    # node reads its key from the file, not from COUPON_ADMIN_KEY (the two flags exclude each other).
    setsid env -u COUPON_ADMIN_KEY "$binary" "${args[@]}" </dev/null >>"$dir/node.log" 2>&1 &
    pid=$!
    echo "$pid" >"$(pid_file "$index")"
    # Until the exec, the child still looks like this shell; wait so that pid checks see the node.
    local deadline=$((SECONDS + 5))
    until [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == coupon-node* ]]; do
        [[ -e "/proc/$pid" ]] && ((SECONDS < deadline)) || break
        sleep 0.02
    done
}

# The end of node I's log, without backtrace frames (RUST_BACKTRACE=1 buries the error).
log_tail() {
    say "last lines of $(node_dir "$1")/node.log:"
    grep -vE '^ +([0-9]+: |at )' "$(node_dir "$1")/node.log" | tail -n 20 >&2 || true
}

cluster_json() {
    curl_admin -s --connect-timeout 1 --max-time 2 "$(scheme)://$(api_addr "$1")/cluster" || true
}

# Node I is ready, a majority of the nodes names the same leader in the same term, that leader
# says it leads, and node I has applied what the leader had applied a moment before. /readyz
# alone is not enough: a restarted node restores its stored vote, so it names the leader of
# its last term (dead or not) until its election timeout, and a restarted leader calls itself
# leader even alone, without a quorum; and /readyz compares the applied index only with the
# commit index the node knows itself, which lags until the leader's next message.
node_ready() {
    local index="$1" body leader term leader_body leader_applied applied
    [[ "$(http_status "$(api_addr "$index")" /readyz)" == 200 ]] || return 1
    body="$(cluster_json "$index")"
    leader="$(json_field "$body" leader_id)"
    term="$(json_field "$body" term)"
    [[ "$leader" =~ ^[0-9]+$ ]] && ((1 <= leader && leader <= NODES)) || return 1
    leader_body="$(cluster_json "$leader")"
    [[ "$(json_field "$leader_body" role)" == leader ]] || return 1
    [[ "$(json_field "$leader_body" term)" == "$term" ]] || return 1
    majority_names "$leader" "$term" || return 1
    leader_applied="$(json_field "$leader_body" last_applied)"
    applied="$(json_field "$(cluster_json "$index")" last_applied)"
    [[ "$leader_applied" =~ ^[0-9]+$ && "$applied" =~ ^[0-9]+$ ]] || return 1
    ((applied >= leader_applied))
}

# Whether a majority of the nodes names LEADER as leader in TERM.
majority_names() {
    local j view agree=0
    for ((j = 1; j <= NODES; j++)); do
        view="$(cluster_json "$j")"
        if [[ "$(json_field "$view" leader_id)" == "$1" && "$(json_field "$view" term)" == "$2" ]]; then
            agree=$((agree + 1))
        fi
    done
    ((agree >= NODES / 2 + 1))
}

# Waits until node I answers /healthz (what=healthy) or is ready (what=ready); fails early if
# the process died.
wait_for() {
    local index="$1" what="$2" deadline=$((SECONDS + START_TIMEOUT_S))
    while ((SECONDS < deadline)); do
        if ! running_pid "$index" >/dev/null; then
            say "node $index exited while waiting for it to be $what"
            log_tail "$index"
            return 1
        fi
        case "$what" in
        healthy) [[ "$(http_status "$(api_addr "$index")" /healthz)" == 200 ]] && return 0 ;;
        ready) node_ready "$index" && return 0 ;;
        esac
        sleep "$POLL_S"
    done
    say "node $index ($(api_addr "$index")) was not $what within ${START_TIMEOUT_S}s"
    log_tail "$index"
    return 1
}

cmd_start() {
    local requested_tls=0
    if [[ "${1:-}" == --tls ]]; then requested_tls=1; shift; fi
    if [[ "${2:-}" == --tls ]]; then requested_tls=1; set -- "$1"; fi
    NODES="${1:-${NODES:-3}}"
    API_PORT_BASE="${API_PORT_BASE:-8080}"
    PEER_PORT_BASE="${PEER_PORT_BASE:-9080}"
    [[ "$NODES" =~ ^[0-9]+$ ]] && ((1 <= NODES && NODES <= 99)) || die "N must be 1..99"
    local requested_hosts="${NODE_HOST_BASE:-}"
    if [[ -n "$requested_hosts" ]]; then
        [[ "$requested_hosts" =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}\.([0-9]{1,3})$ ]] &&
            ((BASH_REMATCH[1] >= 1 && BASH_REMATCH[1] + NODES <= 254)) ||
            die "NODE_HOST_BASE must be a loopback address 127.x.y.z with room for $NODES nodes, got '$requested_hosts'"
        ((requested_tls == 0)) || die "--tls names 127.0.0.1 in the certificates: not with NODE_HOST_BASE"
    fi
    local requested_regions="${NODE_REGIONS:-}" requested_advertise="${PEER_ADVERTISE_PORT_BASE:-}"
    if [[ -n "$requested_regions" ]]; then
        local regions
        IFS=, read -r -a regions <<<"$requested_regions"
        ((${#regions[@]} == NODES)) ||
            die "NODE_REGIONS names ${#regions[@]} regions for $NODES nodes: one per node"
    fi
    [[ -z "$requested_advertise" || "$requested_advertise" =~ ^[0-9]+$ ]] ||
        die "PEER_ADVERTISE_PORT_BASE must be a port number, got '$requested_advertise'"
    if [[ -f "$CLUSTER_DIR/cluster.env" ]]; then
        local requested_nodes="$NODES" requested_api="$API_PORT_BASE" requested_peer="$PEER_PORT_BASE"
        load_layout
        (("$(running_count)" == 0)) || die "a cluster is already running in $CLUSTER_DIR (stop it first)"
        [[ "$requested_nodes/$requested_api/$requested_peer/$requested_hosts" == "$NODES/$API_PORT_BASE/$PEER_PORT_BASE/$NODE_HOST_BASE" ]] ||
            die "$CLUSTER_DIR holds a cluster of $NODES nodes on ports $API_PORT_BASE/$PEER_PORT_BASE${NODE_HOST_BASE:+, hosts from $NODE_HOST_BASE}; remove it for a new layout"
        say "reusing the data in $CLUSTER_DIR"
    fi
    TLS="$requested_tls" NODE_HOST_BASE="$requested_hosts"
    NODE_REGIONS="$requested_regions" PEER_ADVERTISE_PORT_BASE="$requested_advertise"
    check_ports_free
    local binary i
    binary="$(node_binary build)"
    ensure_admin_key
    if [[ "$TLS" == 1 ]]; then ensure_tls; fi
    printf 'NODES=%s\nAPI_PORT_BASE=%s\nPEER_PORT_BASE=%s\nTLS=%s\nNODE_HOST_BASE=%s\n' "$NODES" \
        "$API_PORT_BASE" "$PEER_PORT_BASE" "$TLS" "$NODE_HOST_BASE" >"$CLUSTER_DIR/cluster.env"
    printf 'NODE_REGIONS=%s\nPEER_ADVERTISE_PORT_BASE=%s\n' "$NODE_REGIONS" \
        "$PEER_ADVERTISE_PORT_BASE" >>"$CLUSTER_DIR/cluster.env"
    # Node 1 bootstraps the cluster of everyone (a no-op on data that is already initialised);
    # the others wait to hear from it.
    launch 1 "$binary" --bootstrap
    for ((i = 2; i <= NODES; i++)); do launch "$i" "$binary" --no-bootstrap; done
    for ((i = 1; i <= NODES; i++)); do
        if ! wait_for "$i" ready; then
            say "start failed; stopping the nodes"
            cmd_stop >/dev/null
            exit 1
        fi
    done
    say "cluster of $NODES ready in $CLUSTER_DIR"
    if [[ "$TLS" == 1 ]]; then
        say "TLS: clients: --ca-cert $(tls_dir)/ca.pem (COUPON_CA_CERT), nodes as https://host:port"
    fi
    for ((i = 1; i <= NODES; i++)); do api_addr "$i"; done
}

check_ports_free() {
    local i addr
    for ((i = 1; i <= NODES; i++)); do
        for addr in "$(api_addr "$i")" "$(peer_addr "$i")"; do
            if (exec 3<>"/dev/tcp/${addr%:*}/${addr#*:}") 2>/dev/null; then
                die "$addr is already in use (another cluster? set API_PORT_BASE/PEER_PORT_BASE)"
            fi
        done
    done
}

# SIGTERM (unless the caller already sent it: pass its pid), then SIGKILL after
# STOP_TIMEOUT_S. Returns once the process is gone.
stop_node() {
    local index="$1" pid="${2:-}" deadline
    if [[ -z "$pid" ]]; then
        pid="$(running_pid "$index")" || { rm -f "$(pid_file "$index")"; return 0; }
        kill -TERM "$pid" 2>/dev/null || true
    fi
    deadline=$((SECONDS + STOP_TIMEOUT_S))
    while running_pid "$index" >/dev/null && ((SECONDS < deadline)); do sleep "$POLL_S"; done
    if running_pid "$index" >/dev/null; then
        say "node $index (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT_S}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$index" "$pid"
    fi
    rm -f "$(pid_file "$index")"
    say "stopped node $index (pid $pid)"
}

wait_gone() {
    local deadline=$((SECONDS + 10))
    while running_pid "$1" >/dev/null; do
        ((SECONDS < deadline)) || die "node $1 (pid $2) is still alive after SIGKILL"
        sleep "$POLL_S"
    done
}

cmd_stop() {
    load_layout
    local i pid signalled=()
    # Signal every node first so they stop in parallel, then wait for each.
    for ((i = 1; i <= NODES; i++)); do
        if pid="$(running_pid "$i")"; then
            kill -TERM "$pid" 2>/dev/null || true
            signalled+=("$i:$pid")
        fi
    done
    for entry in "${signalled[@]}"; do stop_node "${entry%%:*}" "${entry#*:}"; done
    for ((i = 1; i <= NODES; i++)); do rm -f "$(pid_file "$i")"; done
}

cmd_kill() {
    load_layout
    check_index "${1:-}"
    local pid
    pid="$(running_pid "$1")" || die "node $1 is not running"
    kill -KILL "$pid"
    wait_gone "$1" "$pid"
    rm -f "$(pid_file "$1")"
    say "killed node $1 (pid $pid)"
}

cmd_restart() {
    load_layout
    check_index "${1:-}"
    local index="$1" binary
    [[ -d "$(node_dir "$index")/data" ]] || die "node $index has no data in $(node_dir "$index")"
    if running_pid "$index" >/dev/null; then stop_node "$index"; fi
    binary="$(node_binary)"
    # Never --bootstrap here: a restarted node rejoins with what its data says.
    launch "$index" "$binary" --no-bootstrap
    wait_for "$index" healthy || die "node $index did not come up"
    wait_ready_if_majority "$index"
    api_addr "$index"
}

# Waits for /readyz while a majority of the nodes runs; with fewer, no leader can be elected,
# so waiting would only time out (the node becomes ready when enough nodes are back).
wait_ready_if_majority() {
    local index="$1" majority=$((NODES / 2 + 1)) deadline=$((SECONDS + START_TIMEOUT_S))
    while ((SECONDS < deadline)); do
        running_pid "$index" >/dev/null || { log_tail "$index"; die "node $index exited"; }
        if node_ready "$index"; then
            say "node $index is ready"
            return 0
        fi
        if (("$(running_count)" < majority)); then
            say "node $index is up; only $(running_count) of $NODES nodes run, so it is not ready yet"
            return 0
        fi
        sleep "$POLL_S"
    done
    log_tail "$index"
    die "node $index did not become ready within ${START_TIMEOUT_S}s"
}

# One field of a compact JSON object (numbers, strings, null): enough for GET /cluster.
json_field() {
    sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\)\"\{0,1\}[,}].*/\1/p" <<<"$1"
}

cmd_status() {
    load_layout
    local i pid body
    printf '%-5s %-16s %-8s %-9s %-10s %-6s %-13s %s\n' \
        NODE API PID STATE ROLE TERM LAST_APPLIED LEADER
    for ((i = 1; i <= NODES; i++)); do
        pid="$(running_pid "$i")" || pid=-
        body="$(cluster_json "$i")"
        if [[ "$pid" == - ]]; then
            printf '%-5s %-16s %-8s %-9s\n' "$i" "$(api_addr "$i")" - down
        elif [[ -z "$body" ]]; then
            printf '%-5s %-16s %-8s %-9s\n' "$i" "$(api_addr "$i")" "$pid" unreachable
        else
            printf '%-5s %-16s %-8s %-9s %-10s %-6s %-13s %s\n' "$i" "$(api_addr "$i")" "$pid" \
                running "$(json_field "$body" role)" "$(json_field "$body" term)" \
                "$(json_field "$body" last_applied)" "$(json_field "$body" leader_id)"
        fi
    done
}

case "${1:-}" in
start) shift; cmd_start "$@" ;;
stop) cmd_stop ;;
kill) cmd_kill "${2:-}" ;;
restart) cmd_restart "${2:-}" ;;
status) cmd_status ;;
addresses) load_layout; for ((i = 1; i <= NODES; i++)); do api_addr "$i"; done ;;
-h | --help | help) usage ;;
*) usage ;;
esac
