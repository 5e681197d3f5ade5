#!/bin/sh
# t/models.sh - the Spin models of the waiting protocols (model/check.sh).
# SPDX-License-Identifier: BSD-2-Clause
exec "${srcdir:-.}/model/check.sh" "${srcdir:-.}/model"
