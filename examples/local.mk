# examples/local.mk - included by Makefile.am; owned by the examples area.
# Examples are built by `make`, so the README's program always compiles.

noinst_PROGRAMS += examples/stream
examples_stream_LDADD = lib/libachan.la -lpthread
