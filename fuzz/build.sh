#!/bin/sh
# fuzz/build.sh - build the libFuzzer targets (run by `make fuzz-build`,
# which `make check` and `make fuzz` depend on).
# SPDX-License-Identifier: BSD-2-Clause
#
#   build.sh SRCDIR TARGET...
#
# Builds fuzz/fuzz_TARGET in the current (build) directory from SRCDIR:
# the library sources (lib/*.c, compiled directly, with coverage
# instrumentation), the shared harness and the reference models, with
# clang -fsanitize=fuzzer,address,undefined.  Up to date targets are left
# alone (sources, this script and the flags are compared).
#
# The compiler is $FUZZ_CLANG, else $CLANG, else clang-14, else clang.  If
# it does not link a -fsanitize=fuzzer program, nothing is built, the
# reason goes to fuzz/no-libfuzzer, and the script exits 0: the bounded
# check then reports SKIP.
#
# From make: CK_CFLAGS CK_LIBS URCU_CFLAGS URCU_LIBS (configure's
# pkg-config results for ck and liburcu-bp) and FUZZ_CFLAGS (extra flags).
set -eu

srcdir=$1
shift
out=fuzz
mkdir -p "$out/obj"
rm -f "$out/no-libfuzzer"

skip() {
	echo "fuzz/build.sh: $*; the fuzz targets are not built" >&2
	echo "$*" > "$out/no-libfuzzer"
	exit 0
}

# A compiler named by the caller is the only candidate.
cc=
for c in ${FUZZ_CLANG:-${CLANG:-clang-14 clang}}; do
	if command -v "$c" >/dev/null 2>&1; then
		cc=$c
		break
	fi
done
[ -n "$cc" ] || skip "no ${FUZZ_CLANG:-${CLANG:-clang-14 or clang}} (set FUZZ_CLANG)"

# Does it link a libFuzzer program (libclang-rt-*-dev installed)?
probe=$out/obj/probe
cat > "$probe.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
EOF
if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$probe" "$probe.c" \
		>"$probe.log" 2>&1; then
	skip "$cc cannot link -fsanitize=fuzzer,address,undefined"
fi
rm -f "$probe" "$probe.c" "$probe.log"

san="-fsanitize=address,undefined -fno-sanitize-recover=all"
cflags="-g -O1 -fno-omit-frame-pointer -std=gnu11 -pthread -Wall -Wextra \
$san -I$srcdir/include -I$srcdir/lib ${CK_CFLAGS:-} ${URCU_CFLAGS:-} \
${FUZZ_CFLAGS:-}"
libs="${CK_LIBS:-} ${URCU_LIBS:-} -lpthread"

# Rebuild everything when the compiler, the flags or this script change.
sig="$cc $cflags $libs $(cksum < "$srcdir/fuzz/build.sh")"
if [ "$(cat "$out/obj/signature" 2>/dev/null)" != "$sig" ]; then
	rm -f "$out"/obj/*.o "$out"/obj/libachan-fuzz.a
	for t in "$@"; do rm -f "$out/fuzz_$t"; done
fi

# newer FILE: is any source newer than FILE (or FILE missing)?
newer() {
	[ -f "$1" ] || return 0
	[ -n "$(find "$srcdir/lib" "$srcdir/include" "$srcdir/fuzz" \
		-name '*.[ch]' -newer "$1" 2>/dev/null | head -n 1)" ]
}

lib=$out/obj/libachan-fuzz.a
if newer "$lib"; then
	echo "  FUZZCC   $lib ($cc)"
	rm -f "$out"/obj/*.o "$lib"
	for f in "$srcdir"/lib/*.c; do
		o=$out/obj/$(basename "$f" .c).o
		# the library itself: coverage for libFuzzer, no main
		"$cc" $cflags -fsanitize=fuzzer-no-link -c -o "$o" "$f"
	done
	ar rcs "$lib" "$out"/obj/*.o
fi
printf '%s\n' "$sig" > "$out/obj/signature"

for t in "$@"; do
	bin=$out/fuzz_$t
	newer "$bin" || continue
	echo "  FUZZLD   $bin"
	"$cc" $cflags -fsanitize=fuzzer -o "$bin" \
		"$srcdir/fuzz/fuzz_$t.c" "$srcdir/fuzz/harness.c" \
		"$srcdir"/fuzz/ref*.c "$lib" $libs
done
