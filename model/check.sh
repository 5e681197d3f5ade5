#!/bin/sh
# model/check.sh - verify every Spin model and make sure each deliberately
# broken twin is rejected.  Prints TAP; run by `make check` (t/models.sh).
#
# Each line of the table below: model file, -D define ("OK" for the model as
# written; several joined by "+"), the expected verdict (pass: no error;
# fail: Spin must find an error), and optionally the kind of search:
#   safety (the default)  assertions and invalid end states (-DSAFETY)
#   live                  non-progress cycles under weak fairness
#                         (-DNP, pan -l -f): every fair run terminates, so a
#                         spin-wait that never ends is an error
# After each verdict a TAP diagnostic gives the states explored (up to the
# first error, for a twin), the transitions, the depth and the seconds.
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
chan_send_wakeup.pml NEWCOMER pass
chan_send_wakeup.pml TRYRECV pass
chan_send_wakeup.pml NEWCOMER pass live
chan_send_wakeup.pml TRYRECV pass live
chan_send_wakeup.pml NO_F2+X86_RMW pass
chan_send_wakeup.pml NO_F2 fail
chan_send_wakeup.pml REG_NO_WAIT fail
chan_send_wakeup.pml NO_A4 fail
chan_send_wakeup.pml SERVE_ONE fail
chan_send_wakeup.pml WAIT_UNDER_LOCK fail
chan_send_wakeup.pml SERVE_BEFORE_R2 fail
chan_send_wakeup.pml NEWCOMER_IGNORES_BIT fail
chan_send_wakeup.pml C2_NWAITING_CHECK fail
chan_send_wakeup.pml TRY_FULL_ON_BIT fail
chan_send_wakeup.pml OWED_STALE fail
chan_send_wakeup.pml RECV_PREV_LAP fail
chan_send_wakeup.pml RECV_OWED_LOOK fail
parker.pml OK pass
parker.pml WAKE_LOAD_STORE fail
parker.pml PARK_NO_CAS fail
waitq_handon.pml OK pass
waitq_handon.pml NO_HANDON fail
oneshot.pml OK pass
oneshot.pml ONE_RECEIVER pass
oneshot.pml NO_SPURIOUS pass live
oneshot.pml NO_CLAIM fail
oneshot.pml WAITERS_FIRST fail
oneshot.pml G1_BLIND fail
oneshot.pml NO_QUIESCE fail
oneshot.pml NO_SPURIOUS+KEEP_STALE fail live
handle_close.pml OK pass
handle_close.pml OK pass live
handle_close.pml LOAD_THEN_DEC fail
handle_close.pml FREE_ON_HANDLES fail
handle_close.pml DEC_REFS_FIRST fail
state_wait.pml OK pass
state_wait.pml NO_RECHECK fail
state_wait.pml NO_F2 fail
state_wait.pml CLOSE_WAKES_CLOSED fail
wakelist_take.pml OK pass
wakelist_take.pml OK pass live
wakelist_take.pml OLD_SETTLE fail live
wakelist_take.pml NO_TAKING_CHECK fail
wakelist_take.pml POP_TAKEN fail
wakelist_take.pml STORE_FIRST fail
wakelist_take.pml TAKE_AS_QUEUED fail
wakelist_take.pml ONLY_INNERMOST fail live
wakelist_take.pml SEQ_LISTS fail live
wakelist_append.pml OK pass
wakelist_append.pml OK pass live
wakelist_append.pml NN=4 pass
wakelist_append.pml APPEND_UNLOCKED fail
wakelist_append.pml W1_FIRST fail
select_claim.pml OK pass
select_claim.pml NO_REPOLL pass live
select_claim.pml SENDCASE pass
select_claim.pml TWO_A pass
select_claim.pml TWO_SEL pass
select_claim.pml TWO_SEL pass live
select_claim.pml TWO_SEL+NO_SEL_ORDER pass
select_claim.pml TWO_SEL+NO_SEL_ORDER fail live
select_claim.pml TRY_LOOP pass live
select_claim.pml TRY_LOOP+TRY_MARKS fail live
select_claim.pml CLAIM_LOAD_STORE fail
select_claim.pml NO_HANDON fail
select_claim.pml NO_MISSED fail
select_claim.pml RELEASE_STORE fail
select_claim.pml BLIND_OR fail
select_claim.pml OWN_FINAL_WINS fail
select_claim.pml NO_SETTLE fail
select_claim.pml SETTLE_FIRST fail
batch_wake.pml OK pass
batch_wake.pml CAP=3+OFF=2 pass
batch_wake.pml NO_F2 pass
batch_wake.pml PLAIN_UNLOCK pass
batch_wake.pml BATCH_NO_WAKE fail
batch_wake.pml WAKE_ONE fail
batch_wake.pml D1_BEFORE_S1 fail
batch_wake.pml NO_F2+PLAIN_UNLOCK fail
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
	while read -r model def want mode; do
		i=$((i + 1))
		dir=$work/$i
		mkdir "$dir" && cp "$work"/*.pml "$dir"/
		dflags=-D$(printf '%s' "$def" | sed 's/+/ -D/g')
		# Partial-order reduction on (sound for these safety checks,
		# and compatible with weak fairness); COLLAPSE compresses
		# states; a memory bound keeps a runaway model from eating the
		# machine (then it fails: "incomplete").
		# Optimise only the liveness searches (the longest runs):
		# for the others compiling pan.c at -O2 took longer than the
		# search it sped up (-O0: 3 min for the table, -O2: 5).
		case ${mode:-safety} in
		live)	cflags="-DNP -DNFAIR=3"; pflags="-l -f"; opt=-O2 ;;
		*)	cflags=-DSAFETY; pflags=; opt=-O0 ;;
		esac
		if ! (cd "$dir" && spin $dflags -a "$model" >spin.log 2>&1 &&
			"${CC:-cc}" ${MODEL_CFLAGS:-$opt} -w $cflags -DCOLLAPSE -DMEMLIM=2048 \
				-o pan pan.c >cc.log 2>&1); then
			echo "not ok $i - $model $dflags: could not build the verifier"
			status=1
			continue
		fi
		t0=$(date +%s)
		(cd "$dir" && ./pan -m100000 $pflags >pan.log 2>&1)
		secs=$(($(date +%s) - t0))
		trans=$(sed -n 's/^ *\([0-9.e+]*\) transitions.*/\1/p' "$dir/pan.log" | head -1)
		depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' "$dir/pan.log" | head -1)
		case $def in
		OK)	what="$model as written" ;;
		*)	what="$model $dflags" ;;
		esac
		[ "${mode:-safety}" = live ] && what="$what (liveness, weak fairness)"
		errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/pan.log" | head -1)
		states=$(sed -n 's/^ *\([0-9]*\) states, stored.*/\1/p' "$dir/pan.log" | head -1)
		if grep -q 'out of memory\|max search depth too small' "$dir/pan.log"; then
			echo "not ok $i - $what: search incomplete"
			sed 's/^/# /' "$dir/pan.log" | head -20
			status=1
		elif [ "$want" = pass ] && [ "${errors:-x}" = 0 ]; then
			echo "ok $i - $what: no error in $states states"
		elif [ "$want" = fail ] && [ "${errors:-0}" -gt 0 ]; then
			echo "ok $i - $what (broken twin) is rejected: $(grep -m1 '^pan:1' "$dir/pan.log")"
		else
			echo "not ok $i - $what: expected $want, got errors=${errors:-?}"
			sed 's/^/# /' "$dir/pan.log" | head -20
			status=1
		fi
		echo "# $what: ${states:-?} states stored, ${trans:-?} transitions, depth ${depth:-?}, ${secs}s"
	done
	exit $status
}
