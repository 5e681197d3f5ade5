/*
 * fuzz/ref.c - the wake log every reference model writes (ref.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "ref.h"

struct ref_wakelog ref_woken;
