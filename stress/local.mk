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
