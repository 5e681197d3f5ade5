/*
 * select_local.c - the single-thread flavour of select (ACHAN_LOCAL
 * objects): select_impl.h compiled under sync_local.h.  select.c has
 * checked the arguments before calling these.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "sync_local.h"
#include "select_impl.h"

int
achan__select_local_poll(struct achan_select *sel,
		const struct achan_waker *waker, size_t *index)
{
	return sel_poll(sel, waker, index);
}

int
achan__select_local_cancel(struct achan_select *sel, size_t *index)
{
	return sel_cancel(sel, index);
}

int
achan__select_local_try(struct achan_select_case *cases, uint32_t n,
		uint32_t start, uint32_t *won)
{
	return sel_try_cases(cases, n, start, won);
}
