# achan_flags.m4 -- probe compiler and linker flags one at a time.
# SPDX-License-Identifier: BSD-2-Clause
#
# A small local replacement for autoconf-archive's ax_append_compile_flags.m4
# (autoconf-archive is not a build dependency of achan).

# ACHAN_APPEND_CFLAG(FLAG, VARIABLE)
# ----------------------------------
# Append FLAG to VARIABLE if the C compiler accepts it.  The probe compiles
# with -Werror so that a flag the compiler merely warns about is rejected.
AC_DEFUN([ACHAN_APPEND_CFLAG],
[AS_VAR_PUSHDEF([achan_cache], [achan_cv_cflag_$1])dnl
AC_CACHE_CHECK([whether $CC accepts $1], [achan_cache],
  [achan_save_CFLAGS=$CFLAGS
   CFLAGS="$CFLAGS -Werror $1"
   AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
     [AS_VAR_SET([achan_cache], [yes])],
     [AS_VAR_SET([achan_cache], [no])])
   CFLAGS=$achan_save_CFLAGS])
AS_VAR_IF([achan_cache], [yes], [AS_VAR_APPEND([$2], [" $1"])])
AS_VAR_POPDEF([achan_cache])dnl
])

# ACHAN_APPEND_CFLAGS(FLAG1 FLAG2 ..., VARIABLE)
# ----------------------------------------------
# ACHAN_APPEND_CFLAG for each whitespace-separated flag.
AC_DEFUN([ACHAN_APPEND_CFLAGS],
[m4_foreach_w([achan_flag], [$1], [ACHAN_APPEND_CFLAG(achan_flag, [$2])
])])

# ACHAN_CHECK_LINK_FLAGS(CFLAGS, LDFLAGS, [ACTION-IF-OK], [ACTION-IF-NOT])
# ------------------------------------------------------------------------
# Check that a program that starts a thread compiles with CFLAGS and links
# with LDFLAGS (sanitizers need their runtime library at link time).
AC_DEFUN([ACHAN_CHECK_LINK_FLAGS],
[AS_VAR_PUSHDEF([achan_cache], [achan_cv_link_$1])dnl
AC_CACHE_CHECK([whether $CC can build and link with $1], [achan_cache],
  [achan_save_CFLAGS=$CFLAGS
   achan_save_LDFLAGS=$LDFLAGS
   CFLAGS="$CFLAGS $1"
   LDFLAGS="$LDFLAGS $2"
   AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <pthread.h>
static void *achan_probe(void *arg) { return arg; }]],
       [[pthread_t t;
         if (pthread_create(&t, 0, achan_probe, 0) != 0) return 1;
         return pthread_join(t, 0);]])],
     [AS_VAR_SET([achan_cache], [yes])],
     [AS_VAR_SET([achan_cache], [no])])
   CFLAGS=$achan_save_CFLAGS
   LDFLAGS=$achan_save_LDFLAGS])
AS_VAR_IF([achan_cache], [yes], [$3], [$4])
AS_VAR_POPDEF([achan_cache])dnl
])
