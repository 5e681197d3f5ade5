/*
 * achan.h - umbrella header: every achan channel kind.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef ACHAN_H
#define ACHAN_H

#include <achan/common.h>
#include <achan/chan.h>
#include <achan/oneshot.h>
#include <achan/bcast.h>
#include <achan/state.h>
#include <achan/select.h>

#endif /* ACHAN_H */
