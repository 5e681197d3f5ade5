# man/local.mk - included by Makefile.am; owned by the man area.
