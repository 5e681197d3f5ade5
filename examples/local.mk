# examples/local.mk - included by Makefile.am; owned by the examples area.
# Examples are built by `make`, so the README's programs always compile, and
# `make check` runs every one of them through examples/run.sh, a TAP script
# (one ok / not ok per example, judged by each program's exit status).

example_programs = \
	examples/stream \
	examples/pipeline \
	examples/epoll \
	examples/executor \
	examples/request_response \
	examples/config_broadcast \
	examples/worker_select

noinst_PROGRAMS += $(example_programs)
examples_stream_LDADD = lib/libachan.la -lpthread
examples_pipeline_LDADD = lib/libachan.la -lpthread
examples_epoll_LDADD = lib/libachan.la -lpthread
examples_executor_LDADD = lib/libachan.la
examples_request_response_LDADD = lib/libachan.la -lpthread
examples_config_broadcast_LDADD = lib/libachan.la -lpthread
examples_worker_select_LDADD = lib/libachan.la -lpthread

# run.sh finds the programs in the build tree (tests run from the top build
# directory) and its list of examples must match example_programs above.
TESTS += examples/run.sh
EXTRA_DIST += examples/run.sh
