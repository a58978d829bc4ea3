# shellcheck shell=bash
# Power cuts of single cluster nodes, on LazyFS: sourced by scripts/chaos.sh --power-loss.
#
# Each node of a cluster.sh cluster gets its own LazyFS mount ($PL_BASE/n<i>/mnt, backed by
# $PL_BASE/n<i>/root) and its data dir $CLUSTER_DIR/node<i>/data is a symlink to that mount, so
# cluster.sh runs the node on it unchanged ($CLUSTER_DIR/node<i>/lazyfs links to $PL_BASE/n<i>, for
# a look at the LazyFS log and the backing files afterwards). LazyFS keeps every write in its
# cache until it is fsynced; cutting a node's power is SIGKILL of the node, then `lazyfs.sh
# power-loss` on its mount, which drops every byte that was not fsynced. A torn write is LazyFS's
# torn-op or torn-seq fault on a Raft log segment (data dir raft-log/*.log): LazyFS persists only
# part of the next write (or of the next run of writes without an fsync between them), then kills
# itself, so the node loses its power mid-write; its mount is then unmounted and mounted again.
#
# PL_BASE is short on purpose: LazyFS reads a fault command in one read of at most 100 bytes (its
# MAX_READ_CHUNK) and names files by their full backing path, so a torn fault on
# <PL_BASE>/n1/root/raft-log/0000000000000001.log fits only while PL_BASE is about 14 characters.
#
# Needs: NODES, CLUSTER_DIR, ROOT set by the caller. Environment:
#   LAZYFS_TOOLS   the LazyFS tools (build.sh, lazyfs.sh); default $ROOT/../shared/tools/lazyfs
#   LAZYFS_HOME    where build.sh builds LazyFS; default $ROOT/target/lazyfs
#   LAZYFS_MOUNTS  PL_BASE; default /tmp/pl-<6 hex digits of CLUSTER_DIR's hash>, one per cluster
#   LAZYFS_CACHE=256mb  each mount's cache (lazyfs.sh's default, 2gb, takes 3-4 s to mount here
#                  against 0.7 s; a node writes well under 10 MB in a run)
#   TORN_WAIT_S=5  how long an armed torn fault may wait for the write that fires it
#   TORN_TARGET=raft-log/*.log  the files a torn fault may hit (DIR/PATTERN in the data dir; the
#                  last by version order is the one written now); e.g. `db` tears sled's file
#
# Functions return non-zero on failure and say why on stderr; none of them exits.

# shellcheck disable=SC2034 # PL_TORN_COMMAND is the caller's to read
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    echo "power_loss.sh is a library: it is sourced by scripts/chaos.sh --power-loss" >&2
    exit 64
fi

LAZYFS_TOOLS="${LAZYFS_TOOLS:-$ROOT/../shared/tools/lazyfs}"
export LAZYFS_HOME="${LAZYFS_HOME:-$ROOT/target/lazyfs}"
PL_BASE="${LAZYFS_MOUNTS:-/tmp/pl-$(printf %s "$CLUSTER_DIR" | sha256sum | cut -c1-6)}"
export LAZYFS_CACHE="${LAZYFS_CACHE:-256mb}"
TORN_WAIT_S="${TORN_WAIT_S:-5}"
TORN_TARGET="${TORN_TARGET:-raft-log/*.log}"

pl_say() { echo "power_loss.sh: $*" >&2; }

# Whether this machine offers FUSE at all (the caller decides what a missing FUSE means).
pl_fuse_present() { [[ -c /dev/fuse ]]; }

# Finds the tools and builds LazyFS (once; build.sh reuses an existing build).
pl_prepare() {
    [[ -x "$LAZYFS_TOOLS/lazyfs.sh" && -x "$LAZYFS_TOOLS/build.sh" ]] || {
        pl_say "no LazyFS tools in $LAZYFS_TOOLS (set LAZYFS_TOOLS)"
        return 1
    }
    LAZYFS_TOOLS="$(cd "$LAZYFS_TOOLS" && pwd)"
    pl_say "building LazyFS into $LAZYFS_HOME (reused when already built)"
    "$LAZYFS_TOOLS/build.sh" "$LAZYFS_HOME" >/dev/null || {
        pl_say "building LazyFS failed ($LAZYFS_TOOLS/build.sh $LAZYFS_HOME)"
        return 1
    }
}

# The directory lazyfs.sh drives for node I (LazyFS names files by the spelling lazyfs.sh
# resolves, `cd && pwd`, so torn faults resolve it the same way).
pl_dir() { echo "$PL_BASE/n$1"; }

pl_lazyfs() { "$LAZYFS_TOOLS/lazyfs.sh" "$@"; }

# The LazyFS process of node I, if it is alive (a zombie is not).
pl_lazyfs_pid() {
    local file pid state
    file="$(pl_dir "$1")/lazyfs.pid"
    [[ -f "$file" ]] || return 1
    pid="$(<"$file")"
    [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/stat" ]] || return 1
    state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" || return 1
    [[ -n "$state" && "$state" != Z ]] || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == lazyfs* ]] || return 1
    echo "$pid"
}

pl_mounted() { grep -qs " $(pl_dir "$1")/mnt fuse" /proc/mounts; }

# Mounts node I's LazyFS and points node I's data dir at it.
pl_mount() {
    local index="$1" dir
    dir="$(pl_dir "$index")"
    mkdir -p "$dir"
    # setsid: a Ctrl-C to the caller's process group must not take the file system away from
    # nodes that are still running; the caller's trap unmounts once the nodes are stopped.
    setsid "$LAZYFS_TOOLS/lazyfs.sh" mount "$dir" </dev/null >/dev/null 2>>"$dir/mount.err" || {
        pl_say "mounting LazyFS for node $index failed (see $dir/mount.err, $dir/lazyfs.log)"
        return 1
    }
    local link
    for link in data:"$dir/mnt" lazyfs:"$dir"; do
        if [[ ! -L "$CLUSTER_DIR/node$index/${link%%:*}" ]]; then
            [[ ! -e "$CLUSTER_DIR/node$index/${link%%:*}" ]] || {
                pl_say "$CLUSTER_DIR/node$index/${link%%:*} exists and is not a link to LazyFS"
                return 1
            }
            ln -s "${link#*:}" "$CLUSTER_DIR/node$index/${link%%:*}"
        fi
    done
    # LazyFS's fault thread opens the answer FIFO (done.fifo) for writing before it reads any
    # command, which blocks until someone reads that FIFO; lazyfs.sh power-loss holds a reader
    # while it asks. One power loss of the empty cache right after mounting gets the thread past
    # that open, so that torn faults sent later are read at once.
    pl_lazyfs power-loss "$dir" 2>>"$dir/mount.err" || {
        pl_say "LazyFS of node $index does not answer on its faults FIFO (see $dir/lazyfs.log)"
        return 1
    }
}

# Unmounts node I's LazyFS (its node must not run) and removes the FIFOs; the backing data
# (lazyfs/root) stays for a post-mortem.
pl_unmount() {
    local dir pid
    dir="$(pl_dir "$1")"
    pid="$(pl_lazyfs_pid "$1")" || pid=""
    pl_lazyfs unmount "$dir" 2>/dev/null || true
    if pl_mounted "$1"; then umount -l "$dir/mnt" 2>/dev/null || true; fi
    if [[ -n "$pid" ]] && pl_lazyfs_pid "$1" >/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$dir/faults.fifo" "$dir/done.fifo" "$dir/lazyfs.pid"
    ! pl_mounted "$1"
}

pl_remount() { pl_unmount "$1" && pl_mount "$1"; }

# Drops every byte of node I's mount that was not fsynced. The node must already be dead.
pl_power_loss() {
    local dir
    dir="$(pl_dir "$1")"
    pl_lazyfs_pid "$1" >/dev/null || { pl_say "LazyFS of node $1 is not running"; return 1; }
    timeout 40 "$LAZYFS_TOOLS/lazyfs.sh" power-loss "$dir" || {
        pl_say "power loss on node $1's mount failed (see $dir/lazyfs.log)"
        return 1
    }
}

# Writes one command to node I's faults FIFO; bounded, since the write blocks with no reader.
pl_fault_command() {
    local fifo
    fifo="$(pl_dir "$1")/faults.fifo"
    [[ -p "$fifo" ]] || { pl_say "node $1: no LazyFS faults FIFO"; return 1; }
    # LazyFS reads at most 100 bytes and drops the last (the newline): a longer command would be
    # cut, and LazyFS would still log it as configured.
    ((${#2} <= 99)) || { pl_say "node $1: fault command of ${#2} bytes, LazyFS reads 99: $2"; return 1; }
    # shellcheck disable=SC2016 # expanded by the inner shell
    timeout 5 bash -c 'printf "%s\n" "$1" >"$2"' _ "$2" "$fifo"
}

# The Raft log segment node I writes now (the last file matching TORN_TARGET by version order), as
# LazyFS names it (under the backing root). Fails when the data dir has no such file.
pl_active_segment() {
    local dir sub last
    dir="$(cd "$(pl_dir "$1")" && pwd)/root"
    sub="$(dirname "$TORN_TARGET")"
    [[ "$sub" == . ]] || dir="$dir/$sub"
    last="$(find "$dir" -maxdepth 1 -type f -name "$(basename "$TORN_TARGET")" -printf '%f\n' 2>/dev/null |
        sort -V | tail -n 1)"
    [[ -n "$last" ]] || return 1
    echo "$dir/$last"
}

# Sets PL_TORN_COMMAND to a torn fault for FILE, of KIND (torn-op or torn-seq; default: either),
# chosen with $RANDOM (call it in the caller's shell, not in $(...): a subshell reseeds $RANDOM, so
# the choice would not follow SEED). torn-op: the next write is split in 2 to 4 parts, of which a
# random proper subset persists. torn-seq: of the next run of writes without an fsync between them,
# only some persist. LazyFS applies a FIFO-injected torn fault to the next occurrence: its FIFO
# parser takes no `occurrence` (given one, it logs the fault as configured and drops it).
pl_torn_command() {
    local file="$1" kind="${2:-}" parts persist p
    PL_TORN_COMMAND=""
    [[ -n "$kind" ]] || { ((RANDOM % 2)) && kind=torn-op || kind=torn-seq; }
    if [[ "$kind" == torn-op ]]; then
        parts=$((2 + RANDOM % 3))
        persist=""
        # A non-empty subset without the last part, so the write is always torn.
        for ((p = 1; p < parts; p++)); do if ((RANDOM % 2)); then persist+="${persist:+,}$p"; fi; done
        [[ -n "$persist" ]] || persist=$((1 + RANDOM % (parts - 1)))
        PL_TORN_COMMAND="lazyfs::torn-op::file=$file::persist=$persist::parts=$parts"
    else
        # shellcheck disable=SC2054 # the elements are LazyFS lists: commas belong in them
        local choices=(2 1,3 2,3 3)
        PL_TORN_COMMAND="lazyfs::torn-seq::op=write::file=$file::persist=${choices[$((RANDOM % ${#choices[@]}))]}"
    fi
}
