/*
 * fuzz/ref.c - the wake log every reference model writes, and the select
 * hooks (ref.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "ref.h"

struct ref_wakelog ref_woken;
void (*ref_case_woken)(struct ref_fut *f);
int (*ref_case_claim)(struct ref_fut *f, int commit);
