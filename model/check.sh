#!/bin/sh
# model/check.sh - verify every Spin model and make sure each deliberately
# broken twin is rejected.  Prints TAP; run by `make check` (t/models.sh).
#
# Each line of the table below: model file, -D define ("OK" for the model as
# written), and the expected verdict (pass: no error; fail: Spin must find
# an invalid end state or an assertion violation).
# SPDX-License-Identifier: BSD-2-Clause
set -u

srcdir=${1:-$(dirname "$0")}
work=${TMPDIR:-/tmp}/achan-models.$$
trap 'rm -rf "$work"' EXIT INT TERM

table='
chan_recv_wakeup.pml OK pass
chan_recv_wakeup.pml NO_F2 fail
chan_recv_wakeup.pml SLEEP_INFLIGHT fail
chan_send_wakeup.pml OK pass
chan_send_wakeup.pml SERVE_ONE fail
chan_send_wakeup.pml NO_A4 fail
chan_send_wakeup.pml NO_F2 fail
parker.pml OK pass
parker.pml WAKE_LOAD_STORE fail
parker.pml PARK_NO_CAS fail
waitq_handon.pml OK pass
waitq_handon.pml NO_HANDON fail
'
n=$(printf '%s\n' "$table" | grep -c .)

if ! command -v spin >/dev/null 2>&1 || ! command -v "${CC:-cc}" >/dev/null 2>&1; then
	echo "1..0 # SKIP spin (Debian package spin) or a C compiler is missing"
	exit 0
fi

mkdir -p "$work" || exit 1
cp "$srcdir"/*.pml "$work"/ || exit 1
echo "1..$n"
i=0
status=0
printf '%s\n' "$table" | grep . | {
	while read -r model def want; do
		i=$((i + 1))
		dir=$work/$i
		mkdir "$dir" && cp "$work"/*.pml "$dir"/
		# Partial-order reduction on (sound for these safety checks);
		# COLLAPSE compresses states; a memory bound keeps a runaway
		# model from eating the machine (then it fails: "incomplete").
		if ! (cd "$dir" && spin -D"$def" -a "$model" >spin.log 2>&1 &&
			"${CC:-cc}" -O2 -w -DSAFETY -DCOLLAPSE -DMEMLIM=2048 \
				-o pan pan.c >cc.log 2>&1); then
			echo "not ok $i - $model -D$def: could not build the verifier"
			status=1
			continue
		fi
		(cd "$dir" && ./pan -m100000 >pan.log 2>&1)
		errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/pan.log" | head -1)
		states=$(sed -n 's/^ *\([0-9]*\) states, stored.*/\1/p' "$dir/pan.log" | head -1)
		if grep -q 'out of memory\|max search depth too small' "$dir/pan.log"; then
			echo "not ok $i - $model -D$def: search incomplete"
			sed 's/^/# /' "$dir/pan.log" | head -20
			status=1
		elif [ "$want" = pass ] && [ "${errors:-x}" = 0 ]; then
			echo "ok $i - $model as written: no error in $states states"
		elif [ "$want" = fail ] && [ "${errors:-0}" -gt 0 ]; then
			echo "ok $i - $model -D$def (broken twin) is rejected: $(grep -m1 '^pan:1' "$dir/pan.log")"
		else
			echo "not ok $i - $model -D$def: expected $want, got errors=${errors:-?}"
			sed 's/^/# /' "$dir/pan.log" | head -20
			status=1
		fi
	done
	exit $status
}
