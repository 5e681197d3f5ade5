#!/bin/sh
# stress/nofault.sh - TAP: the fault-injection hooks (lib/fault.h) leave
# nothing in the normal library: no symbol, no call.  Run by
# `make check` in the build directory, after lib/libachan.la is built.
# SPDX-License-Identifier: BSD-2-Clause

libs=
for f in lib/.libs/libachan.so lib/.libs/libachan.a; do
	[ -f "$f" ] && libs="$libs $f"
done
if [ -z "$libs" ]; then
	echo "1..0 # SKIP no lib/.libs/libachan.so or .a in $(pwd)"
	exit 0
fi
if ! command -v nm >/dev/null 2>&1 ||
    ! command -v objdump >/dev/null 2>&1; then
	echo "1..0 # SKIP nm or objdump not found"
	exit 0
fi

n=0
fail=0
for f in $libs; do
	n=$((n + 1))
	# the whole symbol table (not only the dynamic one), and every
	# call or jump target in the disassembly
	hits=$( { nm -a "$f" 2>/dev/null; objdump -d "$f" 2>/dev/null |
		grep -E 'call|jmp'; } | grep 'achan__fault' | head -5)
	if [ -z "$hits" ]; then
		echo "ok $n - $f: no fault-injection symbol or call"
	else
		echo "not ok $n - $f: fault injection compiled in"
		echo "$hits" | sed 's/^/#   /'
		fail=1
	fi
done
echo "1..$n"
exit $fail
