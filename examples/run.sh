#!/bin/sh
# examples/run.sh - run every example program as a TAP test: one "ok" or
# "not ok" per example, judged by its exit status (each example checks its
# own results and exits non-zero if anything is wrong).  Run by `make check`
# from the top build directory.  A failing example's output is shown as TAP
# comments; ACHAN_EXAMPLE_VERBOSE=1 shows every example's.
#
# Keep this list in step with example_programs in examples/local.mk.
#
# SPDX-License-Identifier: BSD-2-Clause

examples="stream pipeline epoll executor request_response config_broadcast
    worker_select"

# A watchdog per example, generous for sanitizer builds on a loaded machine;
# each example takes well under a second in a plain build.
limit=${ACHAN_EXAMPLE_TIMEOUT:-120}
if command -v timeout >/dev/null 2>&1; then
	bounded="timeout $limit"
else
	bounded=
fi

set -- $examples
echo "1..$#"
n=0
for e in $examples; do
	n=$((n + 1))
	prog=./examples/$e
	if [ ! -x "$prog" ]; then
		echo "not ok $n - $e: $prog not built"
		continue
	fi
	out=$($bounded "$prog" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] || [ -n "${ACHAN_EXAMPLE_VERBOSE:-}" ]; then
		printf '%s\n' "$out" | sed -e '/^$/d' -e 's/^/# /'
	fi
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - $e"
	elif [ "$rc" -eq 124 ] && [ -n "$bounded" ]; then
		echo "not ok $n - $e: still running after ${limit}s"
	else
		echo "not ok $n - $e: exit status $rc"
	fi
done
exit 0
