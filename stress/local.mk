# stress/local.mk - included by Makefile.am; owned by the stress area.
#
# Fault injection (issue 7 part 4) and the long stress run (part 5).

# Test-only hooks at every await and slow-path point (lib/fault.h): empty
# macros unless ACHAN_FAULT_INJECTION is defined, which only the fault
# test's own build of the library sources does.
noinst_HEADERS += lib/fault.h
