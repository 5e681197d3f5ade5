#!/usr/bin/env bash
# bench/plot.sh -- draw achan vs the peers (or achan-bench's baselines) with
# gnuplot into one PNG.
#
# SPDX-License-Identifier: BSD-2-Clause
#
# usage: bench/plot.sh [-o OUT.png] [-t TITLE] [--linear] CSV...
#
#   CSV    bench/peers.sh's peers-LABEL.csv
#            peer,workload,P,C,cap,messages,median_metric,min,max,median_cpu_s_per_mmsg
#          and/or achan-bench --csv output
#            impl,workload,P,C,cap,messages,median_seconds,metric,cpu_s_per_mmsg
#          (told apart by the header).  Stream metrics are Mmsg/s, ping-pong
#          metrics ns per round trip; TIMEOUT/FAIL/SKIP/NOTRUN draw no bar.
#          A name seen in an earlier file gets " (FILE)" appended.
#   -o     output PNG (default: the first CSV with .png instead of .csv)
#   -t     title (default: the CSV file names)
#   --linear  linear throughput axis (default: log, so that ratios read alike
#             for fast and slow cells)
#
# Panels: throughput per stream cell (x: PxC, "cN" when cap != 1024; one bar
# per implementation), ping-pong ns per round trip (log), and CPU seconds per
# million messages per stream cell (log) when the CSV has CPU figures.
# Needs gnuplot (Debian: gnuplot-nox) and awk.
set -euo pipefail

usage() { sed -n '/^# usage:/,/^# Needs/p' "$0" | sed 's/^# \{0,1\}//'; }
out='' title='' ylog=1
files=()
while [ $# -gt 0 ]; do
    case $1 in
    -o) out=${2:?-o needs a file}; shift 2 ;;
    -t) title=${2:?-t needs a title}; shift 2 ;;
    --linear) ylog=0; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "plot.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
    esac
done
[ ${#files[@]} -gt 0 ] || { usage >&2; exit 2; }
for f in "${files[@]}"; do [ -r "$f" ] || { echo "plot.sh: cannot read $f" >&2; exit 1; }; done
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
out=${out:-${files[0]%.csv}.png}
if [ -z "$title" ]; then
    title="achan vs peers: $(for f in "${files[@]}"; do basename "$f"; done | tr '\n' ' ')"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Normalise to tables: stream.dat / cpu.dat (row: cell, column: impl),
# pingpong.dat (row: impl).  "-" = no value.
awk -F, -v T="$tmp" '
function isnum(x) { return x ~ /^[0-9.]+([eE][-+]?[0-9]+)?$/ }
function q(s) { gsub(/"/, "", s); return "\"" s "\"" }
FNR == 1 {
    nf++; fname = FILENAME; sub(/.*\//, "", fname); sub(/\.csv$/, "", fname)
    if ($1 == "peer" && $7 == "median_metric") { fmt[nf] = "peers"; mcol = 7; ccol = 10 }
    else if ($1 == "impl" && $8 == "metric") { fmt[nf] = "bench"; mcol = 8; ccol = 9 }
    else { print "plot.sh: " FILENAME ": unknown CSV header: " $0 > "/dev/stderr"; bad = 1; exit 1 }
    delete here
    next
}
{
    name = $1
    if ((name in owner) && owner[name] != nf) name = name " (" fname ")"
    if (!(name in owner)) { owner[name] = nf; impls[++ni] = name }
    here[name] = 1
    if ($2 == "pingpong") {
        if (isnum($mcol)) pp[name] = $mcol
        next
    }
    cell = $3 "x" $4 ($5 != 1024 ? "c" $5 : "")
    if (!(cell in cseen)) { cseen[cell] = 1; cells[++nc] = cell }
    if (isnum($mcol)) thr[cell, name] = $mcol
    if (ccol <= NF && isnum($ccol) && $mcol != "SKIP") { cpu[cell, name] = $ccol; anycpu = 1 }
}
END {
    if (bad) exit 1
    for (w = 1; w <= 2; w++) {
        f = T "/" (w == 1 ? "stream.dat" : "cpu.dat")
        h = q("cell")
        for (i = 1; i <= ni; i++) h = h " " q(impls[i])
        print h > f
        for (c = 1; c <= nc; c++) {
            row = q(cells[c])
            for (i = 1; i <= ni; i++) {
                k = cells[c] SUBSEP impls[i]
                v = (w == 1) ? ((k in thr) ? thr[k] : "-") : ((k in cpu) ? cpu[k] : "-")
                row = row " " v
            }
            print row > f
        }
    }
    # one colour per implementation in every panel, reds for achan
    np = split("1f77b4 ff7f0e 2ca02c 9467bd 8c564b e377c2 7f7f7f bcbd22 17becf aec7e8 ffbb78 98df8a", pal, " ")
    nr = split("d62728 8b0000 ff9896", red, " ")
    colors = ""; k = 0; r = 0
    for (i = 1; i <= ni; i++) {
        rgb[i] = (impls[i] ~ /^achan/) ? red[(r++ % nr) + 1] : pal[(k++ % np) + 1]
        colors = colors " #" rgb[i]
    }
    n = 0
    for (i = 1; i <= ni; i++) if (impls[i] in pp) {
        # colour as an integer for "lc rgb variable"
        v = 0; for (j = 1; j <= 6; j++) v = v * 16 + index("0123456789abcdef", substr(rgb[i], j, 1)) - 1
        print q(impls[i]), pp[impls[i]], v > (T "/pingpong.dat"); n++
    }
    printf "NIMPL=%d\nNCELL=%d\nNPP=%d\nCPU=%d\nCOLORS=\"%s\"\n", ni, nc, n, anycpu + 0, colors > (T "/meta")
}' "${files[@]}"
# shellcheck source=/dev/null
. "$tmp/meta"
[ "$NCELL" -gt 0 ] || [ "$NPP" -gt 0 ] || { echo "plot.sh: no data in ${files[*]}" >&2; exit 1; }

ncol=$((NIMPL + 1))
# Bottom row: ping-pong and/or CPU, when there is data for them.
bottom=$(((NPP > 0) + (CPU > 0 && NCELL > 0)))
cat >"$tmp/plot.gp" <<EOF
set terminal pngcairo size 1500,$((bottom > 0 ? 1100 : 600)) font "DejaVu Sans,11" noenhanced
set output "$out"
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9 relative
set grid ytics mytics lc rgb "#dddddd"
set key outside right top vertical noenhanced
colors = "$COLORS"
c(i) = word(colors, i - 1)
set multiplot title "$title\n(medians; no bar = skipped, stalled, failed, or 0 on a log axis)" font ",13"
EOF
if [ "$NCELL" -gt 0 ]; then
    cat >>"$tmp/plot.gp" <<EOF
set origin 0, $((bottom > 0 ? 1 : 0)) * 0.48
set size 1, $((bottom > 0 ? 1 : 0)) * 0.45 + $((bottom > 0 ? 0 : 1)) * 0.92
$( [ "$ylog" = 1 ] && echo 'set logscale y; set yrange [*:*]' || echo 'set yrange [0:*]')
set ylabel "Mmsg/s (higher is better)"
set xlabel "stream cell: producers x consumers (cN: capacity N, else 1024)"
set title "Throughput"
plot for [i=2:$ncol] "$tmp/stream.dat" using i:xtic(1) title columnheader(i) lc rgb c(i)
unset logscale y
EOF
fi
if [ "$bottom" -gt 0 ]; then
    w=$(awk -v b="$bottom" 'BEGIN { print 1 / b }')
    x=0
    if [ "$NPP" -gt 0 ]; then
        cat >>"$tmp/plot.gp" <<EOF
set origin 0, 0
set size $w, $( [ "$NCELL" -gt 0 ] && echo 0.48 || echo 0.92)
set logscale y
set yrange [*:*]
set ylabel "ns per round trip (log, lower is better)"
set xlabel ""
set title "Ping-pong, capacity 0 (or 1 where unsupported)"
set style data boxes
set boxwidth 0.7
set xtics rotate by -35
unset key
plot "$tmp/pingpong.dat" using 0:2:3:xtic(1) lc rgb variable, \
     "" using 0:2:(sprintf("%.0f", \$2)) with labels offset 0,0.7 font ",9"
unset xtics; set xtics; unset logscale y
set key outside right top vertical
set style data histograms
set boxwidth 0.9 relative
EOF
        x=$w
    fi
    if [ "$CPU" -gt 0 ] && [ "$NCELL" -gt 0 ]; then
        cat >>"$tmp/plot.gp" <<EOF
set origin $x, 0
set size $w, 0.48
set logscale y
set yrange [*:*]
set ylabel "CPU s per million messages (log, lower is better)"
set xlabel "stream cell"
set title "CPU cost (user + sys)"
$( [ "$NPP" -gt 0 ] && echo unset key)
plot for [i=2:$ncol] "$tmp/cpu.dat" using i:xtic(1) title columnheader(i) lc rgb c(i)
EOF
    fi
fi
echo "unset multiplot" >>"$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
echo "wrote $out" >&2
