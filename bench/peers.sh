#!/usr/bin/env bash
# bench/peers.sh -- measure achan side by side with the peer channel
# libraries of ../shared/peers (mutex queue, ck_ring, Go, crossbeam, flume,
# std sync_channel, tokio, async-channel) in ONE interleaved run, with the
# CPU time of every run, and print the comparison as markdown tables.
#
# SPDX-License-Identifier: BSD-2-Clause
#
# usage: bench/peers.sh [--build DIR | --peer PATH] [--work DIR] [--bin DIR]
#                       [--matrix 2cpu|16cpu|select] [LABEL]
#
#   --build DIR   achan build directory: runs `make -C DIR bench/achan-peer`
#                 and measures DIR/bench/achan-peer.  Default: ./bench/achan-peer
#                 of the current directory (made first if ./Makefile exists).
#   --peer PATH   measure this achan-peer executable as is (no make).
#   --work DIR    where the peers are built and the results go
#                 (default: $PEERS_WORK, else ${TMPDIR:-/tmp}/achan-peers-$UID).
#   --bin DIR     take the peers prebuilt from DIR (static binaries made by
#                 PEERS_DIR/build-bin.sh, for a machine without compilers);
#                 nothing is built.
#   --matrix M    2cpu (default): run.sh's cells; 16cpu: run16.sh's cells
#                 (stream 1x1 4x1 8x1 15x1 2x2 4x4 8x8 cap 1024, N_STREAM
#                 messages, default 2,000,000; ping-pong cap 0) with REPS=3;
#                 select: run-select.sh's cells (consumers waiting on two
#                 channels at once: select 2x1, 4x1, 4x4 cap 1024, 2x1 cap 0;
#                 peers gochan crossbeam flume) plus two reference cells,
#                 stream 2x1 cap 0 (every peer's plain unbuffered stream,
#                 achan's included, with the select cap 0 cell's count) and
#                 ping-pong cap 0 (for linefloor, the cross-core floor).
#                 bench/peers-select.sh is this with --matrix select.
#   LABEL         names the result files (default: <nproc>cpu, as run.sh;
#                 select: select-<nproc>cpu, as run-select.sh).
#
# What it does:
#   1. builds the peers with the peers' own recipe: PEERS_DIR/run.sh with
#      REPS=0 (build only) into PEERS_WORK/build -- skipped when every peer
#      binary is already there (SKIP_BUILD=0 forces it, SKIP_BUILD=1 skips it);
#   2. runs the matrix of PEERS_DIR/run.sh through the same runner
#      (run_matrix of PEERS_DIR/lib-run.sh: rep -> cell -> peer, peer order
#      rotated by one each rep, `timeout -k 2 RUN_TIMEOUT` per run, TIMEOUT/
#      FAIL/SKIP handling), with achan last in the peer list exactly as
#      `EXTRA_PEER=.../achan-peer run.sh` would place it.  Every peer is
#      called through a small generated wrapper that times the peer process
#      with bash's `time` (user + sys CPU of the whole process and all its
#      threads, from wait4's rusage, millisecond resolution -- GNU time
#      prints only 10 ms) and logs it; the runner never sees the difference;
#   3. PEERS_DIR/summarize.sh computes the medians exactly as for run.sh;
#      this script adds the median CPU seconds per million messages.
#
# Outputs in PEERS_WORK (LABEL as above):
#   results-LABEL-raw.csv, results-LABEL.csv, results-LABEL-notes.txt
#                  as run.sh writes them (achan's label is "achan")
#   results-LABEL-cpu.csv  every timed run: peer,workload,P,C,cap,messages,user_s,sys_s
#   results-LABEL-cpu0.csv the same for the start-up runs (MESSAGES=1)
#   peers-LABEL.csv        peer,workload,P,C,cap,messages,median_metric,min,max,
#                          median_cpu_s_per_mmsg  (stream: Mmsg/s; pingpong:
#                          ns per round trip, CPU per million round trips;
#                          median_metric may be TIMEOUT, FAIL, SKIP or NOTRUN)
#   peers-LABEL.md         the tables printed at the end (stdout)
# bench/plot.sh draws peers-LABEL.csv.
#
# Environment (passed through to the peers' runner where it has a meaning):
#   PEERS_DIR    the peers' folder (default: <this script's dir>/../../shared/peers)
#   PEERS_WORK   see --work
#   REPS=5  RUN_TIMEOUT=10 (s per run)  SKIP_BUILD (see 1.)
#   DEADLINE_S=0 (> 0: runs after that many seconds are recorded as NOTRUN)
#   N_1P1C N_4P1C N_4P1C_CAP20 N_4P4C N_16P1C N_PINGPONG  (message counts)
#   N_SEL_2P1C N_SEL_4P1C N_SEL_4P4C N_SEL_RDV  (select matrix, as run-select.sh)
#   PEERS        override the peer list (labels in PEERS_WORK/build; select
#                matrix default: gochan crossbeam flume, as run-select.sh)
#   CPU_BASELINE=1  subtract start-up CPU (see the note below); 0: do not
#   EXTRA_PEER   more executables with the peers' CLI, shown as extra columns
#                (not counted as "best blocking peer")
#   LINEFLOOR=1  add bench/linefloor (found beside achan-peer) as an extra
#                column: two threads bouncing one cache line, the hardware
#                floor of a cross-core ping-pong (stream cells: SKIP)
#
# "Best blocking peer" = the best of all peers but ckring (which spins and
# never parks) and achan.  Ratios are ratios of rates, so > 1 always means
# achan is faster: stream achan_Mmsg/s / peer_Mmsg/s, pingpong
# peer_ns / achan_ns.  The CPU ratio is achan's CPU per message divided by
# crossbeam's (< 1: achan uses less).  The select matrix has no ckring: its
# last ratio column is achan / crossbeam, and a line under the table sets the
# select cap 0 cell beside achan's own stream 2x1 cap 0 and linefloor.
#
# CPU: the peers time only their measured region, but CPU can only be had
# for the whole process, whose start-up (exec, loader, Go runtime, creating
# P+C threads) costs 10-40 ms of CPU on the 2-vCPU VM -- as much as a whole
# ping-pong cell of a fast peer.  So before the matrix every peer runs every
# cell with MESSAGES=1, 3 times (results-LABEL-cpu0.csv, ~10 s), and the
# median of that start-up CPU is subtracted from the median CPU of the
# cell (clamped at 0).  CPU_BASELINE=0 reports whole-process CPU.  achan-bench
# instead reads getrusage around its measured region.
set -euo pipefail

usage() { sed -n '/^# usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

HERE=$(cd "$(dirname "$0")" && pwd)
PEERS_DIR=${PEERS_DIR:-$HERE/../../shared/peers}
build_dir='' achan_peer='' label='' peers_bin='' matrix=2cpu
work=${PEERS_WORK:-${TMPDIR:-/tmp}/achan-peers-$(id -u)}
while [ $# -gt 0 ]; do
    case $1 in
    --build) build_dir=${2:?--build needs a directory}; shift 2 ;;
    --build=*) build_dir=${1#--build=}; shift ;;
    --peer) achan_peer=${2:?--peer needs a path}; shift 2 ;;
    --peer=*) achan_peer=${1#--peer=}; shift ;;
    --work) work=${2:?--work needs a directory}; shift 2 ;;
    --work=*) work=${1#--work=}; shift ;;
    --bin) peers_bin=${2:?--bin needs a directory}; shift 2 ;;
    --bin=*) peers_bin=${1#--bin=}; shift ;;
    --matrix) matrix=${2:?--matrix needs 2cpu or 16cpu}; shift 2 ;;
    --matrix=*) matrix=${1#--matrix=}; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "peers.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [ -z "$label" ] || { usage >&2; exit 2; }; label=$1; shift ;;
    esac
done
case $matrix in
2cpu) REPS=${REPS:-5} ;;
16cpu) REPS=${REPS:-3} ;;
select) REPS=${REPS:-5} label=${label:-select-$(nproc)cpu} ;;
*) echo "peers.sh: --matrix is 2cpu, 16cpu or select, not $matrix" >&2; exit 2 ;;
esac
label=${label:-$(nproc)cpu}
DEADLINE_S=${DEADLINE_S:-0}
RUN_TIMEOUT=${RUN_TIMEOUT:-10}
cpu_baseline=1
[ "${CPU_BASELINE:-1}" = 1 ] || cpu_baseline=0
for f in run.sh lib-run.sh summarize.sh $([ "$matrix" != select ] || echo run-select.sh); do
    [ -f "$PEERS_DIR/$f" ] || { echo "peers.sh: no $f in PEERS_DIR=$PEERS_DIR" >&2; exit 1; }
done
PEERS_DIR=$(cd "$PEERS_DIR" && pwd)
mkdir -p "$work"
work=$(cd "$work" && pwd)

# --- 1. achan-peer ----------------------------------------------------------
if [ -z "$achan_peer" ]; then
    if [ -n "$build_dir" ] || { [ ! -e bench/achan-peer ] && [ -f Makefile ]; }; then
        build_dir=${build_dir:-.}
        echo "== make -C $build_dir bench/achan-peer" >&2
        make -C "$build_dir" --no-print-directory bench/achan-peer bench/linefloor >&2
    fi
    achan_peer=${build_dir:-.}/bench/achan-peer
fi
# The hardware floor of ping-pong (bench/linefloor.c) joins as an extra
# column when it sits beside achan-peer (LINEFLOOR=0: leave it out).
floor=$(dirname "$achan_peer")/linefloor
if [ "${LINEFLOOR:-1}" = 1 ] && [ -x "$floor" ]; then
    EXTRA_PEER="${EXTRA_PEER:-} $floor"
fi
if [ ! -f "$achan_peer" ] || [ ! -x "$achan_peer" ]; then
    echo "peers.sh: no achan-peer at $achan_peer (give --build DIR, --peer PATH or run from a build dir)" >&2
    exit 1
fi
achan_peer=$(cd "$(dirname "$achan_peer")" && pwd)/$(basename "$achan_peer")
# An uninstalled libtool program is a shell script that execs .libs/NAME with
# LD_LIBRARY_PATH set; call the real binary so that the script's own CPU time
# is not charged to achan.
achan_exe=$achan_peer achan_ld=
if head -c 4096 "$achan_peer" | grep -q 'temporary wrapper script for'; then
    achan_exe=$(dirname "$achan_peer")/.libs/$(basename "$achan_peer")
    # shellcheck disable=SC2016 # a literal $LD_LIBRARY_PATH in the wrapper
    achan_ld=$(sed -n 's/^ *LD_LIBRARY_PATH="\(.*\):\$LD_LIBRARY_PATH"$/\1/p' "$achan_peer" | head -n 1)
    [ -x "$achan_exe" ] || { echo "peers.sh: libtool wrapper without $achan_exe" >&2; exit 1; }
fi
achan_lib=$(LD_LIBRARY_PATH=$achan_ld${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ldd "$achan_exe" 2>/dev/null |
    awk '/libachan/ { print $3 }') || true
echo "== achan-peer: $achan_exe${achan_lib:+ (libachan: $achan_lib)}" >&2
smoke_wl=stream
[ "$matrix" != select ] || smoke_wl=select
smoke=$(LD_LIBRARY_PATH=$achan_ld${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
    timeout -k 2 10 "$achan_exe" $smoke_wl 2 1 16 1000) ||
    { echo "peers.sh: achan-peer smoke test failed: $smoke" >&2; exit 1; }

# --- 2. peers -----------------------------------------------------------------
RUST_PEERS="crossbeam flume stdmpsc tokio asyncchan"
if [ "$matrix" = select ]; then
    PEERS=${PEERS:-"gochan crossbeam flume"}
else
    PEERS=${PEERS:-"mutexq ckring gochan $RUST_PEERS"}
fi
skip_build=${SKIP_BUILD:-}
peer_dir=$work/build
if [ -n "$peers_bin" ]; then
    peer_dir=$(cd "$peers_bin" && pwd) skip_build=1
    chmod +x "$peer_dir"/* 2>/dev/null || true
fi
if [ -z "$skip_build" ]; then
    skip_build=1
    for p in $PEERS; do [ -x "$work/build/$p" ] || skip_build=0; done
fi
if [ "$skip_build" != 1 ]; then
    echo "== building the peers (PEERS_DIR/run.sh, REPS=0) into $work/build" >&2
    PEERS_WORK=$work SKIP_BUILD=0 REPS=0 PEERS=$PEERS EXTRA_PEER='' \
        "$PEERS_DIR/run.sh" peers-sh-build >&2
    rm -f "$work"/results-peers-sh-build{,-raw,-notes}.*
fi

# --- 3. the matrix: run.sh's (or run16.sh's) cells, counts and defaults ------
if [ "$matrix" = select ]; then
    # run-select.sh's cells, then the two reference cells (see --matrix)
    CELLS=(
        "select 2 1 1024 ${N_SEL_2P1C:-1000000}"
        "select 4 1 1024 ${N_SEL_4P1C:-500000}"
        "select 4 4 1024 ${N_SEL_4P4C:-500000}"
        "select 2 1 0 ${N_SEL_RDV:-100000}"
        "stream 2 1 0 ${N_SEL_RDV:-100000}"
        "pingpong 1 1 0 ${N_PINGPONG:-20000}"
    )
elif [ "$matrix" = 16cpu ]; then
    ns=${N_STREAM:-2000000}
    CELLS=(
        "stream 1 1 1024 $ns" "stream 4 1 1024 $ns" "stream 8 1 1024 $ns"
        "stream 15 1 1024 $ns" "stream 2 2 1024 $ns" "stream 4 4 1024 $ns"
        "stream 8 8 1024 $ns" "pingpong 1 1 0 ${N_PINGPONG:-20000}"
    )
else
CELLS=(
    "stream 1 1 1024 ${N_1P1C:-2000000}"
    "stream 4 1 1024 ${N_4P1C:-500000}"
    "stream 4 1 20 ${N_4P1C_CAP20:-150000}"
    "stream 4 4 1024 ${N_4P4C:-1000000}"
    "stream 16 1 1024 ${N_16P1C:-100000}"
    "pingpong 1 1 0 ${N_PINGPONG:-20000}"
)
fi
# Warn when run.sh's (run-select.sh's) matrix has changed under us (the
# lines above are copied).
# shellcheck disable=SC2016 # the literal text of run-select.sh is wanted
[ "$matrix" != select ] || for n in 'select 2 1 1024 ${N_SEL_2P1C:-1000000}' \
    'select 4 1 1024 ${N_SEL_4P1C:-500000}' 'select 4 4 1024 ${N_SEL_4P4C:-500000}' \
    'select 2 1 0 ${N_SEL_RDV:-100000}' 'REPS=${REPS:-5}' 'RUN_TIMEOUT=${RUN_TIMEOUT:-10}' \
    'PEERS=${PEERS:-"gochan crossbeam flume"}'; do
    grep -qF -- "$n" "$PEERS_DIR/run-select.sh" ||
        echo "peers.sh: WARNING: run-select.sh no longer has '$n': update CELLS in $0" >&2
done
# shellcheck disable=SC2016 # the literal text of run.sh is wanted
[ "$matrix" != 2cpu ] || for n in 'stream 1 1 1024 ${N_1P1C:-2000000}' 'stream 4 1 1024 ${N_4P1C:-500000}' \
    'stream 4 1 20 ${N_4P1C_CAP20:-150000}' 'stream 4 4 1024 ${N_4P4C:-1000000}' \
    'stream 16 1 1024 ${N_16P1C:-100000}' 'pingpong 1 1 0 ${N_PINGPONG:-20000}' \
    'REPS=${REPS:-5}' 'RUN_TIMEOUT=${RUN_TIMEOUT:-10}'; do
    grep -qF -- "$n" "$PEERS_DIR/run.sh" ||
        echo "peers.sh: WARNING: run.sh no longer has '$n': update CELLS in $0" >&2
done

# One wrapper per peer, named by its label (run_matrix labels by basename).
wrap=$work/wrap-$label
cpulog=$work/results-$label-cpu.csv
rm -rf "$wrap"
mkdir -p "$wrap"
cpu0=$work/results-$label-cpu0.csv
echo "peer,workload,P,C,cap,messages,user_s,sys_s" >"$cpulog"
echo "peer,workload,P,C,cap,messages,user_s,sys_s" >"$cpu0"
make_wrapper() { # LABEL EXECUTABLE [LD_LIBRARY_PATH]
    local f=$wrap/$1
    {
        echo '#!/usr/bin/env bash'
        echo '# generated by bench/peers.sh: run one peer, log the CPU time of its process'
        echo 'export LC_ALL=C'
        if [ -n "${3:-}" ]; then
            # shellcheck disable=SC2016 # expanded by the wrapper
            printf 'export LD_LIBRARY_PATH=%q${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\n' "$3"
        fi
        # shellcheck disable=SC2016 # expanded by the wrapper
        printf 'label=%q exe=%q cpulog=${PEERS_SH_CPULOG:-%q} out=%q tf=%q\n' \
            "$1" "$2" "$cpulog" "$wrap/.$1.out" "$wrap/.$1.time"
        cat <<'EOF'
TIMEFORMAT='%3U %3S'
rc=0
{ time "$exe" "$@" >"$out" 2>&3 3>&-; } 3>&2 2>"$tf" || rc=$?
cat "$out"
if [ "$rc" -eq 0 ] && [ $# -eq 5 ]; then
    secs=$(grep -E "^[A-Za-z0-9_]+,$1," "$out" | tail -n 1 | cut -d, -f7)
    case $secs in
    '' | *[!0-9.e+-]*) ;; # SKIP, FAIL, no output: no CPU figure
    *) read -r u s <"$tf" && echo "$label,$1,$2,$3,$4,$5,$u,$s" >>"$cpulog" ;;
    esac
fi
exit "$rc"
EOF
    } >"$f"
    chmod +x "$f"
    CMDS+=("$f")
}
CMDS=()
for p in $PEERS; do
    [ -x "$peer_dir/$p" ] || { echo "peers.sh: missing peer executable $peer_dir/$p" >&2; exit 1; }
    make_wrapper "$p" "$peer_dir/$p"
done
extras=
for p in ${EXTRA_PEER:-}; do
    [ -x "$p" ] || { echo "peers.sh: missing EXTRA_PEER executable $p" >&2; exit 1; }
    make_wrapper "$(basename "$p")" "$(cd "$(dirname "$p")" && pwd)/$(basename "$p")"
    extras+=" $(basename "$p")"
done
make_wrapper achan "$achan_exe" "$achan_ld"

# shellcheck source=/dev/null
. "$PEERS_DIR/lib-run.sh"
RAW=$work/results-$label-raw.csv
SUM=$work/results-$label.csv
NOTES=$work/results-$label-notes.txt
OUTCSV=$work/peers-$label.csv
OUTMD=$work/peers-$label.md
ncmds=${#CMDS[@]} ncells=${#CELLS[@]}
header="$(date -u +%FT%TZ) label=$label cpus=$(nproc) cpu=\"$(grep -m1 "model name" /proc/cpuinfo | sed "s/.*: //")\" loadavg=\"$(cut -d" " -f1-3 /proc/loadavg)\" reps=$REPS timeout=${RUN_TIMEOUT}s"
echo "== $header peers: $(for c in "${CMDS[@]}"; do basename "$c"; done | tr '\n' ' ')($((REPS * ncells * ncmds)) runs)" >&2
t0=$SECONDS
if [ "$cpu_baseline" = 1 ]; then
    # Start-up CPU (exec, runtime, thread creation, first touch of the
    # channel): every peer and cell with MESSAGES=1, 3 times.
    echo "== start-up CPU: $((3 * ncells * ncmds)) runs with MESSAGES=1" >&2
    for _ in 1 2 3; do
        for cell in "${CELLS[@]}"; do
            read -r -a f <<<"$cell"
            for c in "${CMDS[@]}"; do
                PEERS_SH_CPULOG=$cpu0 timeout -k 2 "$RUN_TIMEOUT" "$c" "${f[@]:0:4}" 1 >/dev/null 2>&1 || true
            done
        done
    done
fi
run_matrix "$RAW" "$NOTES" "$REPS" "$RUN_TIMEOUT" "$DEADLINE_S" -- "${CMDS[@]}" -- "${CELLS[@]}"
elapsed=$((SECONDS - t0))
sort -u -o "$NOTES" "$NOTES"
"$PEERS_DIR/summarize.sh" "$RAW" "$SUM" >"$work/results-$label-summary.txt"

# --- 4. CSV + markdown ----------------------------------------------------------
order=$(for c in "${CMDS[@]}"; do basename "$c"; done | tr '\n' ' ')
sel=0
[ "$matrix" != select ] || sel=1
awk -F, -v OUTCSV="$OUTCSV" -v BASE="$cpu_baseline" -v ORDER="$order" -v EXTRAS="$extras" -v SEL="$sel" \
    -v HEADER="$header elapsed=${elapsed}s" '
function isnum(x) { return x ~ /^[0-9.]+([eE][-+]?[0-9]+)?$/ }
function med(s,   a, n, i, j, t) {
    n = split(s, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function fmt(v, pp) { v += 0; return (pp || v >= 100) ? sprintf("%.0f", v) : sprintf("%.3g", v) }
function word(w) { return w == "TIMEOUT" ? "stalls" : (w == "SKIP" ? "–" : w) }
function rate(v, pp) { return pp ? 1 / v : v + 0 }
function rt(x) { return x >= 10 ? sprintf("%.1f×", x) : sprintf("%.2f×", x) }
function label(F) { return (F[1] == "pingpong") ? sprintf("ping-pong cap %s", F[4]) : sprintf("%s %s×%s cap %s", F[1], F[2], F[3], F[4]) }
BEGIN { print "peer,workload,P,C,cap,messages,median_metric,min,max,median_cpu_s_per_mmsg" > OUTCSV }
FNR == 1 { f++; next }
f == 1 {   # results-LABEL-cpu0.csv (MESSAGES=1): peer,workload,P,C,cap,1,user_s,sys_s
    k = $1 SUBSEP $2 "," $3 "," $4 "," $5
    cpu0[k] = cpu0[k] " " ($7 + $8)
    next
}
f == 2 {   # results-LABEL-cpu.csv: peer,workload,P,C,cap,messages,user_s,sys_s
    k = $1 SUBSEP $2 "," $3 "," $4 "," $5 "," $6
    cpu[k] = cpu[k] " " ($7 + $8)
    next
}
{          # summarize.sh: workload,P,C,cap,messages,peer,unit,median,min,max,ok,timeouts,fails,skips,notrun
    cell = $1 "," $2 "," $3 "," $4 "," $5; peer = $6
    if (!(cell in seen)) { seen[cell] = 1; cells[++nc] = cell }
    m = $8
    if (m == "TIMEOUT/FAIL") m = ($12 > 0) ? "TIMEOUT" : "FAIL"
    c = ""
    if ((peer SUBSEP cell) in cpu) {
        c = med(cpu[peer SUBSEP cell])
        k = peer SUBSEP $1 "," $2 "," $3 "," $4
        if (k in cpu0) { c -= med(cpu0[k]); if (c < 0) c = 0 }
        c = sprintf("%.4f", c / ($5 / 1e6))
    }
    val[cell, peer] = m; cpum[cell, peer] = c
    printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", peer, $1, $2, $3, $4, $5, m, $9, $10, c > OUTCSV
}
END {
    np = split(ORDER, P, " ")
    split(EXTRAS, X, " "); for (i in X) extra[X[i]] = 1
    print "Side by side, one interleaved run (" HEADER ")"
    print ""
    print "Medians; stream" (SEL ? " and select" : "") ": Mmsg/s, higher is better; ping-pong: ns per round trip, lower is better."
    print "Best = best blocking peer (all but ckring, which spins, and achan); ratios are rate ratios (> 1: achan faster)."
    print ""
    other = SEL ? "crossbeam" : "ckring"
    h = "| cell |"; s = "| --- |"
    for (i = 1; i <= np; i++) { h = h " " P[i] " |"; s = s " ---: |" }
    print h " best blocking | achan ÷ best | achan ÷ " other " |"
    print s " --- | ---: | ---: |"
    for (k = 1; k <= nc; k++) {
        cell = cells[k]; split(cell, F, ","); pp = (F[1] == "pingpong")
        lab = label(F) " (" F[5] ")"
        best = ""; bv = 0
        for (i = 1; i <= np; i++) {
            p = P[i]; v = val[cell, p]
            if (p == "ckring" || p == "achan" || (p in extra) || !isnum(v)) continue
            if (best == "" || rate(v, pp) > rate(bv, pp)) { best = p; bv = v }
        }
        row = "| " lab " |"
        for (i = 1; i <= np; i++) {
            p = P[i]; v = val[cell, p]
            t = isnum(v) ? fmt(v, pp) : word(v)
            if (p == best) t = "**" t "**"
            row = row " " t " |"
        }
        a = val[cell, "achan"]; ck = val[cell, other]
        r1 = (best != "" && isnum(a)) ? rt(rate(a, pp) / rate(bv, pp)) : "–"
        r2 = (isnum(a) && isnum(ck)) ? rt(rate(a, pp) / rate(ck, pp)) : (isnum(a) && ck == "TIMEOUT" ? other " stalls" : "–")
        print row " " (best == "" ? "–" : best " " fmt(bv, pp)) " | " r1 " | " r2 " |"
        if (F[1] == "select" && F[4] == "0") rdv_sel = a
        if (F[1] == "stream" && F[4] == "0") rdv_str = a
        if (pp) floor_ns = val[cell, "linefloor"]
    }
    if (SEL) {
        print ""
        t = "Unbuffered: achan select 2×1 cap 0 " (isnum(rdv_sel) ? fmt(rdv_sel, 0) " Mmsg/s" : word(rdv_sel))
        if (isnum(rdv_sel) && isnum(rdv_str))
            t = t " = " rt(rdv_sel / rdv_str) " achan stream 2×1 cap 0 (" fmt(rdv_str, 0) " Mmsg/s, same run)"
        if (isnum(floor_ns))
            t = t "; linefloor " fmt(floor_ns, 1) " ns per cross-core round trip of one cache line (at most " \
                sprintf("%.3g", 1e3 / floor_ns) " M round trips/s)"
        print t "."
    }
    print ""
    print "CPU seconds (user + sys of the peer process) per million messages (ping-pong: per million round trips), median of the ok runs" \
        (BASE ? ", less the median start-up CPU of the same peer and cell run with 1 message" : ", start-up included") "; lower is better."
    print ""
    h = "| cell |"; s = "| --- |"
    for (i = 1; i <= np; i++) { h = h " " P[i] " |"; s = s " ---: |" }
    print h " achan ÷ crossbeam |"
    print s " ---: |"
    for (k = 1; k <= nc; k++) {
        cell = cells[k]; split(cell, F, ","); pp = (F[1] == "pingpong")
        lab = label(F)
        row = "| " lab " |"
        for (i = 1; i <= np; i++) {
            c = cpum[cell, P[i]]
            row = row " " (c != "" ? sprintf("%.3g", c) : word(val[cell, P[i]])) " |"
        }
        a = cpum[cell, "achan"]; cb = cpum[cell, "crossbeam"]
        print row " " ((a != "" && cb + 0 > 0) ? sprintf("%.2f", a / cb) : "–") " |"
    }
}' "$cpu0" "$cpulog" "$SUM" >"$OUTMD.tmp"
mv "$OUTMD.tmp" "$OUTMD"
rm -f "$wrap"/.*.out "$wrap"/.*.time

if [ -s "$NOTES" ]; then
    echo >&2
    echo "notes (capacity substitutions, skips, timeouts, failures):" >&2
    sed 's/ (rep [0-9]*)//' "$NOTES" | sort | uniq -c | sed 's/^/  /' >&2
fi
echo >&2
echo "wrote $OUTCSV $OUTMD $RAW $SUM $NOTES $cpulog (elapsed ${elapsed}s)" >&2
echo
cat "$OUTMD"
