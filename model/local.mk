# model/local.mk - the Spin models (included by Makefile.am).
# t/models.sh runs model/check.sh; every model and its twins ship here.
EXTRA_DIST += model/check.sh model/tso.pml \
	model/chan_recv_wakeup.pml model/chan_send_wakeup.pml model/parker.pml \
	model/waitq_handon.pml model/oneshot.pml \
	model/handle_close.pml model/state_wait.pml model/wakelist_take.pml \
	model/wakelist_append.pml model/select_claim.pml \
	model/batch_wake.pml
