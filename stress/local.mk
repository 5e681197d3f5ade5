# stress/local.mk - included by Makefile.am; owned by the stress area.
#
# Fault injection (issue 7 part 4) and the long stress run (part 5).

# Test-only hooks at every await and slow-path point (lib/fault.h): empty
# macros unless ACHAN_FAULT_INJECTION is defined, which only the fault
# test's own build of the library sources does.
noinst_HEADERS += lib/fault.h

# --- Fault injection: t/fault_inject ---------------------------------------
# The library's sources compiled again, with the hooks live, into the test
# program itself (per-target CPPFLAGS give these objects names of their
# own, so libachan.la is untouched); no configure switch.  The program
# arms each hook point in turn, acts there (cancel, close, release the
# opposite handle, fail the allocation, or nothing), and checks that every
# message is accounted for and nobody stays blocked.  It runs in the
# sanitizer builds too.
check_PROGRAMS += t/fault_inject
TESTS += t/fault_inject
t_fault_inject_SOURCES = t/fault_inject.c $(lib_libachan_la_SOURCES)
t_fault_inject_CPPFLAGS = $(AM_CPPFLAGS) -DACHAN_FAULT_INJECTION
t_fault_inject_LDADD = t/libtap.a $(CK_LIBS) $(URCU_LIBS) -lpthread

# The normal library must carry none of it: no achan__fault symbol or call
# in lib/.libs/libachan.{so,a} (nm -a, objdump -d).
TESTS += stress/nofault.sh
EXTRA_DIST += stress/nofault.sh

# --- The long stress: `make stress` ------------------------------------------
#
#   make stress                        about 3 minutes
#   make stress STRESS_SECONDS=900     about 10^9 messages
#
# Runs stress/achan-stress (stress/stress.c: every kind - bounded and
# unbuffered channels, channels with shared handles, oneshot, broadcast
# oneshot, state, and selects over two channels - with payload checks,
# counting messages moved and violations) for STRESS_SECONDS (default 150),
# then the suite's own threaded stress tests t/chan_stress, t/oneshot_race,
# t/state_torture and t/select_race with ACHAN_TEST_SECONDS set to
# STRESS_TAP_SECONDS (default 5; the log of one that fails is kept in
# $TMPDIR and named).  It prints messages moved per kind and violations,
# and fails on any violation, failed test or hang.
# (Measured on the shared 2-core dev box: the default run takes 3 minutes
# and moves 2.6e8 messages through achan-stress; 600 s moved 7.0e8.)
#
# ThreadSanitizer: run `make stress` in a build directory configured with
# --enable-tsan; everything then runs under TSan (with t/tsan.supp, and under
# `setarch $(uname -m) -R` where that works, which TSan needs on kernels
# with large mmap randomisation).  AddressSanitizer likewise in an
# --enable-asan build directory.  `make check-stress` (Makefile.am) is
# unchanged: the whole test suite with 30-second stress loops.
noinst_PROGRAMS += stress/achan-stress
stress_achan_stress_SOURCES = stress/stress.c
stress_achan_stress_LDADD = lib/libachan.la -lpthread

stress_tap_programs = t/chan_stress t/oneshot_race t/state_torture \
	t/select_race

if TSAN
stress_tsan = 1
else
stress_tsan = 0
endif

stress: stress/achan-stress$(EXEEXT) $(stress_tap_programs:=$(EXEEXT))
	@$(AM_TESTS_ENVIRONMENT) \
	secs=$${STRESS_SECONDS:-150}; tsecs=$${STRESS_TAP_SECONDS:-5}; \
	ACHAN_TEST_SECONDS=$$tsecs; export ACHAN_TEST_SECONDS; \
	launch=; \
	if test $(stress_tsan) = 1 && \
	    setarch "`uname -m`" -R true >/dev/null 2>&1; then \
		launch="setarch `uname -m` -R"; \
	fi; \
	status=0; \
	echo "=== stress/achan-stress $$secs s$${launch:+ (under $$launch)}"; \
	$$launch ./stress/achan-stress$(EXEEXT) $$secs || status=1; \
	for t in $(stress_tap_programs); do \
		log=`mktemp "$${TMPDIR:-/tmp}/achan-stress.XXXXXX"` || exit 1; \
		echo "=== $$t, ACHAN_TEST_SECONDS=$$tsecs"; \
		$$launch ./$$t$(EXEEXT) >$$log 2>&1; rc=$$?; \
		nok=`grep -c '^not ok' $$log`; \
		nt=`grep -c '^ok' $$log`; \
		case $$t in \
		*chan_stress) grep -E '^# .* msgs' $$log | \
			$(AWK) -F', ' '{ for (i = 1; i <= NF; i++) \
			if ($$i ~ / msgs$$/) { split($$i, a, " "); n += a[1] } } \
			END { printf "    %d runs, %.0f messages\n", NR, n }';; \
		*oneshot_race) grep -E 'rounds in|requests in' $$log | \
			sed 's/^#/   /';; \
		*state_torture) grep -E 'states; reads' $$log | \
			sed 's/^#/   /';; \
		*select_race) grep -E '^# [a-e]: ' $$log | \
			$(AWK) '{ for (i = 2; i <= NF; i++) \
			if ($$i == "msgs" || $$i == "jobs") n += $$(i - 1) } \
			END { printf "    %d runs, %.0f messages\n", NR, n }';; \
		esac; \
		if test $$rc -ne 0 || test $$nok -ne 0; then \
			echo "    FAIL: exit $$rc, $$nok of `expr $$nt + $$nok` tests failed:"; \
			grep -E '^not ok|^Bail|^#   ' $$log | head -20 | sed 's/^/    /'; \
			echo "    whole log: $$log"; \
			status=1; \
		else \
			echo "    PASS: $$nt tests"; \
			rm -f $$log; \
		fi; \
	done; \
	if test $$status -eq 0; then echo "make stress: PASS"; \
	else echo "make stress: FAIL"; fi; \
	exit $$status

.PHONY: stress
