# fuzz/local.mk - included by Makefile.am; owned by the fuzz area.
