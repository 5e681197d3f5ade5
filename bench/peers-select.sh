#!/bin/sh
# bench/peers-select.sh -- the select matrix of ../shared/peers/run-select.sh
# (consumers waiting on two channels at once: Go's select, crossbeam's
# select!, flume's Selector, achan_select) in one interleaved run, with CPU
# per message, printed as markdown tables: bench/peers.sh --matrix select.
#
# SPDX-License-Identifier: BSD-2-Clause
#
# usage: bench/peers-select.sh [peers.sh options] [LABEL]
#   e.g. bench/peers-select.sh --build build --work /tmp/peers-work
#
# Cells (run-select.sh's, counts N_SEL_2P1C N_SEL_4P1C N_SEL_4P4C N_SEL_RDV):
# select 2x1, 4x1, 4x4 cap 1024 and 2x1 cap 0; then two reference cells:
# stream 2x1 cap 0 (each peer's plain unbuffered stream with the select cap 0
# count) and ping-pong cap 0 (linefloor: the cross-core cache-line floor).
# The achan column is achan-peer's `select` workload.  Options, environment
# and outputs are bench/peers.sh's (LABEL default: select-<nproc>cpu, so the
# result files are PEERS_WORK/results-select-<nproc>cpu*.csv, peers-select-*).
exec "$(dirname "$0")/peers.sh" --matrix select "$@"
