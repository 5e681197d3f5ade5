#!/bin/sh
# fuzz/check.sh - the bounded fuzz campaign of `make check` (TAP).
# SPDX-License-Identifier: BSD-2-Clause
#
# Runs each libFuzzer target (built by fuzz/build.sh into fuzz/ of the build
# directory) from its committed corpus, $srcdir/fuzz/corpus/TARGET, for
# ACHAN_FUZZ_SECONDS (default 20), and on until it has applied its share of
# ACHAN_FUZZ_OPS operations (default 10500000 for chan 45%, oneshot 25%,
# state 30%; the select target, whose operations each involve four objects
# and up to 16 candidate model states, has its own ACHAN_FUZZ_SELECT_OPS,
# default 600000) to the library and the reference model, in runs sized
# from the rate so far (new inputs carry over from run to run).  Each
# target reports its operation count at exit ("achan-fuzz: T: N ops in M
# inputs").  A target that has not reached its share after
# ACHAN_FUZZ_MAX_SECONDS (default 300) fails, and so does any divergence,
# sanitizer report or crash: the log and the reproducer stay in fuzz/ of the
# build directory (fuzz/check-TARGET.log, fuzz/crash-TARGET-*).
#
# One test per target, plus one for the total.  ACHAN_FUZZ_TARGETS picks
# some of the targets (fuzz/mutants.py).  Without a clang that links
# -fsanitize=fuzzer (fuzz/no-libfuzzer says why) the whole test is skipped.
set -u

srcdir=${srcdir:-.}
total_ops=${ACHAN_FUZZ_OPS:-10500000}
select_ops=${ACHAN_FUZZ_SELECT_OPS:-600000}
min_seconds=${ACHAN_FUZZ_SECONDS:-20}
max_seconds=${ACHAN_FUZZ_MAX_SECONDS:-300}
targets=${ACHAN_FUZZ_TARGETS:-chan oneshot state select}

# ACHAN_SKIP_FUZZ=1 (.ci/run sets it for `make distcheck`, whose tarball
# build would run the same campaign a second time) skips it.
if [ "${ACHAN_SKIP_FUZZ:-0}" = 1 ]; then
	echo "1..0 # SKIP ACHAN_SKIP_FUZZ=1"
	exit 0
fi

for t in $targets; do
	if [ ! -x "fuzz/fuzz_$t" ]; then
		why=$(cat fuzz/no-libfuzzer 2>/dev/null || echo "fuzz/fuzz_$t not built")
		echo "1..0 # SKIP no libFuzzer: $why"
		exit 0
	fi
done

ntests=1
for t in $targets; do ntests=$((ntests + 1)); done
echo "1..$ntests"

share() {
	case $1 in
	chan) echo $((total_ops * 45 / 100)) ;;
	oneshot) echo $((total_ops * 25 / 100)) ;;
	state) echo $((total_ops - total_ops * 45 / 100 - total_ops * 25 / 100)) ;;
	select) echo "$select_ops" ;;
	esac
}

# libFuzzer's per-input leak check counts mallocs and frees; the state
# target's superseded states are freed on liburcu's thread (fuzz_state.c),
# so it relies on LeakSanitizer's check at exit instead; so does the select
# target, which has a state channel too.
flags_for() {
	case $1 in
	state|select) echo "-detect_leaks=0" ;;
	*) echo "" ;;
	esac
}

n=0
sum=0
wanted=0
for t in $targets; do
	n=$((n + 1))
	want=$(share "$t")
	wanted=$((wanted + want))
	scratch=fuzz/scratch-$t
	log=fuzz/check-$t.log
	rm -rf "$scratch"
	rm -f fuzz/crash-"$t"-* "$log"
	mkdir -p "$scratch"
	ops=0
	inputs=0
	start=$(date +%s)
	status=0
	while :; do
		elapsed=$(($(date +%s) - start))
		if [ "$ops" -ge "$want" ] && [ "$elapsed" -ge "$min_seconds" ]; then
			break
		fi
		if [ "$elapsed" -ge "$max_seconds" ]; then
			status=timeout
			break
		fi
		if [ "$elapsed" -lt "$min_seconds" ]; then
			chunk=$((min_seconds - elapsed))
		elif [ "$ops" -gt 0 ] && [ "$elapsed" -gt 0 ]; then
			# the rest at the rate so far, plus one second
			chunk=$(((want - ops) / (ops / elapsed + 1) + 1))
			[ "$chunk" -le 20 ] || chunk=20
		else
			chunk=3
		fi
		# the committed corpus is read only; new inputs go to scratch
		"fuzz/fuzz_$t" $(flags_for "$t") -max_total_time="$chunk" \
			-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="fuzz/crash-$t-" \
			"$scratch" "$srcdir/fuzz/corpus/$t" > "$log.run" 2>&1
		rc=$?
		cat "$log.run" >> "$log"
		# the count, also printed when a divergence aborts the run
		line=$(grep "^achan-fuzz: $t: [0-9]* ops" "$log.run" | tail -n 1)
		if [ -n "$line" ]; then
			set -- $line
			ops=$((ops + $3))
			inputs=$((inputs + $6))
		fi
		if [ "$rc" -ne 0 ]; then
			status=$rc
			break
		elif [ -z "$line" ]; then
			status="0, no operation count"
			break
		fi
	done
	rm -f "$log.run"
	secs=$(($(date +%s) - start))
	[ "$secs" -gt 0 ] || secs=1
	sum=$((sum + ops))
	what="$t: $ops operations in $inputs inputs, $secs s ($((inputs / secs)) inputs/s, $((ops / secs)) ops/s)"
	case $status in
	0)
		echo "ok $n - $what"
		;;
	timeout)
		echo "not ok $n - $what: fewer than $want after ${max_seconds} s"
		;;
	*)
		echo "not ok $n - $what: the fuzzer failed (exit $status) - log in $log"
		# the end of the trace, the divergence, the sanitizer's report
		grep -B 25 -A 15 'ERROR: \|runtime error' "$log" | head -n 80 |
			sed 's/^/# /'
		ls fuzz/crash-"$t"-* 2>/dev/null | sed 's/^/# reproducer: /'
		;;
	esac
done

n=$((n + 1))
if [ "$sum" -ge "$wanted" ]; then
	echo "ok $n - $sum operations in all (at least $wanted)"
else
	echo "not ok $n - $sum operations in all, fewer than $wanted"
fi
exit 0
