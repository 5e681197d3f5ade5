# lin/local.mk - included by Makefile.am; owned by the lin area.
#
# Linearizability checks: short concurrent histories on every kind, each
# checked against a sequential model by a Wing-Gong search with
# memoisation (lin/lin_check.c), on threads reused across histories
# (lin/lin_run.c).  Every program also runs a deliberately broken variant
# that must be caught.  $ACHAN_LIN_HISTORIES sets the number of histories
# per program; sanitizer builds default to an eighth (LIN_SANITIZED).

check_LIBRARIES += lin/liblin.a
lin_liblin_a_SOURCES = lin/lin_check.c lin/lin_run.c lin/lin_select_model.c \
	lin/lin.h
if SANITIZED
LIN_SAN_CPPFLAGS = -DLIN_SANITIZED
else
LIN_SAN_CPPFLAGS =
endif
lin_liblin_a_CPPFLAGS = $(AM_CPPFLAGS) $(LIN_SAN_CPPFLAGS)

lin_tests = \
	lin/lin_selftest \
	lin/lin_chan \
	lin/lin_oneshot \
	lin/lin_state \
	lin/lin_select

check_PROGRAMS += $(lin_tests)
TESTS += $(lin_tests)

lin_lin_selftest_SOURCES = lin/lin_selftest.c
lin_lin_selftest_LDADD = lin/liblin.a $(LDADD)
lin_lin_chan_SOURCES = lin/lin_chan.c
lin_lin_chan_LDADD = lin/liblin.a $(LDADD)
lin_lin_oneshot_SOURCES = lin/lin_oneshot.c
lin_lin_oneshot_LDADD = lin/liblin.a $(LDADD)
lin_lin_state_SOURCES = lin/lin_state.c
lin_lin_state_LDADD = lin/liblin.a $(LDADD)
lin_lin_select_SOURCES = lin/lin_select.c
lin_lin_select_LDADD = lin/liblin.a $(LDADD)
EXTRA_DIST += lin/README.md
