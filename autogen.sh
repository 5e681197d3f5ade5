#!/bin/sh
# Generate configure, Makefile.in and build-aux/ from the sources in git.
# SPDX-License-Identifier: BSD-2-Clause
set -e
cd "$(dirname "$0")"
exec autoreconf -fi "$@"
