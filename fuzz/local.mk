# fuzz/local.mk - included by Makefile.am; owned by the fuzz area.
#
# libFuzzer targets that run operation sequences on the library and on a
# plain reference model of each kind (fuzz/ref_*.c, written from
# SEMANTICS.md) in one thread, and abort on any difference in status,
# value, wake calls or destructor calls (fuzz/harness.h says how).
#
#   make check       builds them (clang -fsanitize=fuzzer,address,undefined,
#                    if there is one) and runs a bounded campaign from the
#                    committed corpus: fuzz/check.sh, TAP.  Skipped in
#                    sanitizer builds: the targets carry their own sanitizers,
#                    and the campaign would only run a second time.
#   make fuzz        long campaigns, FUZZ_SECONDS (default 600) per target,
#                    into fuzz/campaign-TARGET/ of the build directory;
#                    reproducers go to fuzz/crash-TARGET-*.
#   make fuzz-build  just build them.
#
# The compiler: FUZZ_CLANG=... on the make command line, else $CLANG from the
# environment, else clang-14, else clang (fuzz/build.sh).

fuzz_targets = chan oneshot state select

fuzz_sources = \
	fuzz/harness.c fuzz/harness.h fuzz/ref.c fuzz/ref.h \
	fuzz/ref_chan.c fuzz/ref_chan.h fuzz/fuzz_chan.c \
	fuzz/ref_once.c fuzz/ref_once.h fuzz/fuzz_oneshot.c \
	fuzz/ref_state.c fuzz/ref_state.h fuzz/fuzz_state.c \
	fuzz/fuzz_select.c

EXTRA_DIST += $(fuzz_sources) fuzz/build.sh fuzz/check.sh fuzz/mutants.py \
	fuzz/README fuzz/corpus fuzz/crashes

# The test is a copy of fuzz/check.sh made in the build directory after the
# targets are built (or fuzz/no-libfuzzer says why not, and it skips).
if !SANITIZED
TESTS += fuzz/check-fuzz
endif

FUZZ_CLANG =
FUZZ_CFLAGS =
FUZZ_SECONDS = 600

fuzz_build_env = FUZZ_CLANG='$(FUZZ_CLANG)' FUZZ_CFLAGS='$(FUZZ_CFLAGS)' \
	CK_CFLAGS='$(CK_CFLAGS)' CK_LIBS='$(CK_LIBS)' \
	URCU_CFLAGS='$(URCU_CFLAGS)' URCU_LIBS='$(URCU_LIBS)'

fuzz-build:
	@$(fuzz_build_env) $(SHELL) $(srcdir)/fuzz/build.sh $(srcdir) \
		$(fuzz_targets)

fuzz/check-fuzz: $(srcdir)/fuzz/check.sh fuzz-build
	$(AM_V_GEN)cp $(srcdir)/fuzz/check.sh $@ && chmod +x $@

# Long campaigns, one target after the other, one libFuzzer worker each.
# The state and select targets rely on LeakSanitizer's check at exit
# (fuzz_state.c).
fuzz: fuzz-build
	@if test -f fuzz/no-libfuzzer; then \
		echo "fuzz: no libFuzzer: `cat fuzz/no-libfuzzer`"; exit 1; fi; \
	for t in $(fuzz_targets); do \
		leaks=; case $$t in state|select) leaks=-detect_leaks=0;; esac; \
		$(MKDIR_P) fuzz/campaign-$$t || exit 1; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		./fuzz/fuzz_$$t $$leaks -max_total_time=$(FUZZ_SECONDS) \
			-timeout=10 -print_final_stats=1 \
			-artifact_prefix=fuzz/crash-$$t- \
			fuzz/campaign-$$t $(srcdir)/fuzz/corpus/$$t || exit 1; \
	done

clean-local: fuzz-clean
fuzz-clean:
	-rm -rf fuzz/obj fuzz/scratch-* fuzz/campaign-* fuzz/crash-* \
		fuzz/check-*.log fuzz/no-libfuzzer fuzz/check-fuzz
	-for t in $(fuzz_targets); do rm -f fuzz/fuzz_$$t; done

.PHONY: fuzz fuzz-build fuzz-clean
