# man/local.mk - the reference manual (included by Makefile.am; owned by the
# man area).
#
# One mdoc page per kind, listing every function of its header, the shared
# types in achan_strerror(3), and the overview in achan(7).  Every other
# public function name has a one-line ".so" page pointing at its kind's page,
# so that `man 3 achan_chan_send' finds it (MLINKS).  All are installed by
# `make install' and shipped by `make dist'.
#
# man/check.sh (run by `make check') holds the manual to the library and
# the headers: every exported symbol and every declared function has a
# page, every page renders without a groff warning, every SYNOPSIS
# prototype matches its header, every status a page names is real, and
# every page in man/ is listed here.  Adding a public function: add it to
# its kind's page (NAME, SYNOPSIS, RETURN VALUES, CONTEXT), create
# man/NAME.3 holding ".so man3/<kind page>.3", and list it below.

# The pages.
achan_man_pages = \
	man/achan.7 \
	man/achan_strerror.3 \
	man/achan_chan.3 \
	man/achan_oneshot.3 \
	man/achan_bcast.3 \
	man/achan_state.3 \
	man/achan_select.3

# .so links to achan_chan(3).
achan_man_chan_links = \
	man/achan_chan_memsize.3 \
	man/achan_chan_init.3 \
	man/achan_chan_fini.3 \
	man/achan_chan_create.3 \
	man/achan_chan_destroy.3 \
	man/achan_chan_set_elem_dtor.3 \
	man/achan_chan_send.3 \
	man/achan_chan_send_until.3 \
	man/achan_chan_try_send.3 \
	man/achan_chan_recv.3 \
	man/achan_chan_recv_until.3 \
	man/achan_chan_try_recv.3 \
	man/achan_chan_try_send_many.3 \
	man/achan_chan_try_send_all.3 \
	man/achan_chan_try_recv_many.3 \
	man/achan_chan_send_many.3 \
	man/achan_chan_send_many_until.3 \
	man/achan_chan_recv_many.3 \
	man/achan_chan_recv_many_until.3 \
	man/achan_chan_close.3 \
	man/achan_chan_len.3 \
	man/achan_chan_capacity.3 \
	man/achan_chan_elem_size.3 \
	man/achan_chan_is_closed.3 \
	man/achan_chan_send_future_init.3 \
	man/achan_chan_send_poll.3 \
	man/achan_chan_send_cancel.3 \
	man/achan_chan_recv_future_init.3 \
	man/achan_chan_recv_poll.3 \
	man/achan_chan_recv_cancel.3 \
	man/achan_chan_send_many_future_init.3 \
	man/achan_chan_send_many_poll.3 \
	man/achan_chan_send_many_cancel.3 \
	man/achan_chan_recv_many_future_init.3 \
	man/achan_chan_recv_many_poll.3 \
	man/achan_chan_recv_many_cancel.3 \
	man/achan_chan_pair.3 \
	man/achan_chan_sender_clone.3 \
	man/achan_chan_receiver_clone.3 \
	man/achan_chan_sender_release.3 \
	man/achan_chan_receiver_release.3 \
	man/achan_chan_sender_chan.3 \
	man/achan_chan_receiver_chan.3 \
	man/achan_chan_stream_init.3 \
	man/achan_chan_stream_poll.3 \
	man/achan_chan_stream_next.3 \
	man/achan_chan_stream_next_until.3 \
	man/achan_chan_stream_cancel.3

# .so links to achan_oneshot(3).
achan_man_oneshot_links = \
	man/achan_oneshot_memsize.3 \
	man/achan_oneshot_init.3 \
	man/achan_oneshot_fini.3 \
	man/achan_oneshot_create.3 \
	man/achan_oneshot_destroy.3 \
	man/achan_oneshot_set_elem_dtor.3 \
	man/achan_oneshot_send.3 \
	man/achan_oneshot_recv.3 \
	man/achan_oneshot_recv_until.3 \
	man/achan_oneshot_try_recv.3 \
	man/achan_oneshot_close.3 \
	man/achan_oneshot_is_closed.3 \
	man/achan_oneshot_elem_size.3 \
	man/achan_oneshot_recv_future_init.3 \
	man/achan_oneshot_recv_poll.3 \
	man/achan_oneshot_recv_cancel.3 \
	man/achan_oneshot_pair.3 \
	man/achan_oneshot_sender_clone.3 \
	man/achan_oneshot_receiver_clone.3 \
	man/achan_oneshot_sender_release.3 \
	man/achan_oneshot_receiver_release.3 \
	man/achan_oneshot_sender_oneshot.3 \
	man/achan_oneshot_receiver_oneshot.3

# .so links to achan_bcast(3).
achan_man_bcast_links = \
	man/achan_bcast_memsize.3 \
	man/achan_bcast_init.3 \
	man/achan_bcast_fini.3 \
	man/achan_bcast_create.3 \
	man/achan_bcast_destroy.3 \
	man/achan_bcast_set_elem_dtor.3 \
	man/achan_bcast_send.3 \
	man/achan_bcast_recv.3 \
	man/achan_bcast_recv_until.3 \
	man/achan_bcast_try_recv.3 \
	man/achan_bcast_close.3 \
	man/achan_bcast_is_closed.3 \
	man/achan_bcast_elem_size.3 \
	man/achan_bcast_recv_future_init.3 \
	man/achan_bcast_recv_poll.3 \
	man/achan_bcast_recv_cancel.3 \
	man/achan_bcast_pair.3 \
	man/achan_bcast_sender_clone.3 \
	man/achan_bcast_receiver_clone.3 \
	man/achan_bcast_sender_release.3 \
	man/achan_bcast_receiver_release.3 \
	man/achan_bcast_sender_bcast.3 \
	man/achan_bcast_receiver_bcast.3

# .so links to achan_state(3).
achan_man_state_links = \
	man/achan_state_memsize.3 \
	man/achan_state_init.3 \
	man/achan_state_fini.3 \
	man/achan_state_create.3 \
	man/achan_state_destroy.3 \
	man/achan_state_send.3 \
	man/achan_state_close.3 \
	man/achan_state_try_recv.3 \
	man/achan_state_recv.3 \
	man/achan_state_recv_until.3 \
	man/achan_state_borrow.3 \
	man/achan_state_borrow_end.3 \
	man/achan_state_id.3 \
	man/achan_state_elem_size.3 \
	man/achan_state_is_closed.3 \
	man/achan_state_recv_future_init.3 \
	man/achan_state_recv_poll.3 \
	man/achan_state_recv_cancel.3 \
	man/achan_state_pair.3 \
	man/achan_state_sender_clone.3 \
	man/achan_state_receiver_clone.3 \
	man/achan_state_sender_release.3 \
	man/achan_state_receiver_release.3 \
	man/achan_state_sender_state.3 \
	man/achan_state_receiver_state.3

# .so links to achan_select(3) (achan_select itself is the page).
achan_man_select_links = \
	man/achan_select_case_none.3 \
	man/achan_select_case_chan_send.3 \
	man/achan_select_case_chan_recv.3 \
	man/achan_select_case_oneshot_recv.3 \
	man/achan_select_case_bcast_recv.3 \
	man/achan_select_case_state_recv.3 \
	man/achan_select_until.3 \
	man/achan_select_try.3 \
	man/achan_select_init.3 \
	man/achan_select_poll.3 \
	man/achan_select_cancel.3

dist_man_MANS = $(achan_man_pages) $(achan_man_chan_links) \
	$(achan_man_oneshot_links) $(achan_man_bcast_links) \
	$(achan_man_state_links) $(achan_man_select_links)

# The manual's check (TAP).  It reads the headers and man/ from $(srcdir)
# and the built library from the build directory.
TESTS += man/check.sh
EXTRA_DIST += man/check.sh
