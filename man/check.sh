#!/bin/sh
# man/check.sh - hold the reference manual to the library and the headers
# (TAP).  Run by `make check' from the top build directory, with $srcdir
# the top source directory (automake's harness sets it).  By hand, from a
# build directory:  srcdir=.. sh ../man/check.sh
#
# SPDX-License-Identifier: BSD-2-Clause
#
# For every function name exported by the built library (nm -D) or
# declared in include/achan/*.h, one line each for:
#   exported+declared  the symbol is both exported and declared;
#   page               man/NAME.3 exists and is listed in man/local.mk (so
#                      it is installed), it is the kind's page or a .so link
#                      to it, that page names NAME (.Nm), and `man -M
#                      <the installed set> -w 3 NAME' finds it;
#   synopsis           the prototype in the SYNOPSIS of the page of its kind
#                      (common.h: achan_strerror(3); KIND.h: achan_KIND(3))
#                      equals the header's, whitespace normalised;
#   returns            the page has a RETURN VALUES entry (.It Fn NAME) whose
#                      ACHAN_* names are all values of enum achan_status (or
#                      macros of the headers, e.g. a size limit, or
#                      enumerators of their other enums, e.g. a select case
#                      kind), and a CONTEXT row (may it block, who may call
#                      it).
# For every page: it renders with `man --warnings' and `groff -ww' with
# nothing on stderr, and it has the sections a reference page needs.
# And: every ACHAN_* name in any page is a status, a header macro or an
# enumerator of another enum of the headers, the status list of
# achan_strerror(3) is the enum, and every file in man/ is listed in
# man/local.mk.
#
# Without man or groff the rendering and lookup tests are skipped (each
# "ok # SKIP"); the others still run.  ACHAN_LIB overrides the library
# (default lib/.libs/libachan.so, else lib/.libs/libachan.a).

srcdir=${srcdir:-.}
hdr=$srcdir/include/achan
mandir=$srcdir/man
lib=${ACHAN_LIB:-lib/.libs/libachan.so}
[ -f "$lib" ] || [ -n "${ACHAN_LIB:-}" ] || lib=lib/.libs/libachan.a

bail() {
	echo "1..0 # SKIP $*"
	exit 0
}
[ -d "$hdr" ] && [ -f "$mandir/local.mk" ] || {
	echo "Bail out! no $hdr or $mandir/local.mk (is \$srcdir right?)"
	exit 1
}
[ -f "$lib" ] || { echo "Bail out! $lib not built"; exit 1; }
command -v nm >/dev/null 2>&1 || bail "nm not installed"

have_man=1
command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1 ||
	have_man=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/achan-man.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# --- facts from the headers and the library ----------------------------------

# The statuses: the enumerators of enum achan_status.
awk '/^enum achan_status/ { f = 1; next }
	f && /^}/ { exit }
	f && match($0, /ACHAN_[A-Z0-9_]+/) { print substr($0, RSTART, RLENGTH) }' \
	"$hdr/common.h" >"$tmp/enum"
# The macros of the headers (limits, sizes, flags), and the enumerators of
# their other enums (enum achan_select_kind: the case kinds): names a page
# may use beside the statuses.
{
	cat "$hdr"/*.h | sed -n 's/^#define[ 	]*\(ACHAN_[A-Z0-9_]*\).*/\1/p'
	awk '/^enum achan_/ && !/^enum achan_status/ { f = 1; next }
	f && /^}/ { f = 0; next }
	f && match($0, /^[ \t]*ACHAN_[A-Z0-9_]+/) {
		s = substr($0, RSTART, RLENGTH); gsub(/[ \t]/, "", s); print s }' \
		"$hdr"/*.h
} >"$tmp/macros"

# The normalised prototype: one space between words, none around * ( ) , ;
norm_awk='function norm(s) {
	gsub(/[ \t]+/, " ", s)
	gsub(/ ?\* ?/, "*", s)
	gsub(/ ?\( ?/, "(", s)
	gsub(/ ?\) ?/, ")", s)
	gsub(/ ?, ?/, ",", s)
	gsub(/ ?; ?/, ";", s)
	sub(/^ /, "", s)
	sub(/ $/, "", s)
	return s
}'

# Every declaration: name, the page of its kind, normalised prototype.
for h in "$hdr"/*.h; do
	kind=${h##*/}
	kind=${kind%.h}
	case $kind in
	common) page=achan_strerror ;;
	*) page=achan_$kind ;;
	esac
	awk -v page="$page" "$norm_awk"'
	/^ACHAN_API/ { f = 1; buf = "" }
	f {
		buf = buf " " $0
		if (index($0, ";")) {
			f = 0
			sub(/^ *ACHAN_API */, "", buf)
			if (match(buf, /achan_[a-z0-9_]*[ \t]*\(/))
				printf "%s\t%s\t%s\n", substr(buf, RSTART,
				    RLENGTH - 1), page, norm(buf)
		}
	}' "$h"
done | sed 's/[ 	]*	/	/' >"$tmp/decl"

nm_flags=-D
case $lib in *.a) nm_flags=-g ;; esac
nm $nm_flags --defined-only "$lib" | awk '$2 == "T" && $3 ~ /^achan_/ {
	print $3 }' | sort -u >"$tmp/nm"
[ -s "$tmp/nm" ] || { echo "Bail out! no achan_ symbols in $lib"; exit 1; }

# --- facts from the manual ---------------------------------------------------

# The files man/local.mk installs.
sed -e '/^[ 	]*#/d' -n -e 's,.*man/\([A-Za-z0-9_.-]*\.[37]\).*,\1,p' \
	"$mandir/local.mk" |
	sort -u >"$tmp/listed"
(cd "$mandir" && ls) | grep '\.[37]$' | sort >"$tmp/files"

# The .so links: FILE TARGET (file names are [a-z0-9_.]: no quoting needed).
# shellcheck disable=SC2046
(cd "$mandir" && awk 'FNR == 1 && /^\.so / { printf "%s\t%s\n", FILENAME, $2 }
	{ nextfile }' $(cat "$tmp/files")) >"$tmp/links"

# Parse each page that is not a link into records:
#   nm PAGE NAME | syn PAGE NAME PROTO | rv PAGE NAME IDS | ctx PAGE NAME |
#   sec PAGE SECTION | id PAGE ACHAN_NAME
: >"$tmp/facts"
cut -f 1 "$tmp/links" | sort | comm -23 "$tmp/files" - |
while read -r f; do
	awk -v page="${f%.*}" "$norm_awk"'
	# mdoc arguments: words, or "quoted strings"
	function split_args(line, a,    i, c, n, tok, inq, have) {
		n = 0; tok = ""; inq = 0; have = 0
		for (i = 1; i <= length(line); i++) {
			c = substr(line, i, 1)
			if (inq) {
				if (c == "\"") inq = 0
				else tok = tok c
			} else if (c == "\"") {
				inq = 1; have = 1
			} else if (c == " " || c == "\t") {
				if (have) { a[++n] = tok; tok = ""; have = 0 }
			} else {
				tok = tok c; have = 1
			}
		}
		if (have) a[++n] = tok
		return n
	}
	function emit_proto(name,    i, s) {
		s = ft " " name "("
		for (i = 1; i <= nfa; i++)
			s = s (i > 1 ? ", " : "") fa[i]
		printf "syn\t%s\t%s\t%s\n", page, name, norm(s ");")
		ft = ""; nfa = 0
	}
	function end_item() {
		if (nitem) {
			for (k = 1; k <= nitem; k++)
				printf "rv\t%s\t%s\t%s\n", page, item[k], ids
		}
		nitem = 0; ids = ""
	}
	{ gsub(/\\&/, "") }
	/^\.\\"/ || /^\.Dt / { next }
	{
		line = $0
		while (match(line, /ACHAN_[A-Z0-9_]+/)) {
			printf "id\t%s\t%s\n", page, substr(line, RSTART, RLENGTH)
			if (sec == "RETURN VALUES" && nitem)
				ids = ids " " substr(line, RSTART, RLENGTH)
			line = substr(line, RSTART + RLENGTH)
		}
	}
	/^\.Sh / {
		if (sec == "RETURN VALUES") end_item()
		sec = substr($0, 5); gsub(/"/, "", sec)
		printf "sec\t%s\t%s\n", page, sec
		next
	}
	sec == "NAME" && /^\.Nm / { printf "nm\t%s\t%s\n", page, $2 }
	sec == "SYNOPSIS" {
		n = split_args($0, a)
		if (a[1] == ".Ft") {
			ft = ""
			for (i = 2; i <= n; i++) ft = ft " " a[i]
		} else if (a[1] == ".Fn") {
			nfa = 0
			for (i = 3; i <= n; i++) fa[++nfa] = a[i]
			emit_proto(a[2])
		} else if (a[1] == ".Fo") {
			fo = a[2]; nfa = 0
		} else if (a[1] == ".Fa" && fo != "") {
			for (i = 2; i <= n; i++) fa[++nfa] = a[i]
		} else if (a[1] == ".Fc") {
			emit_proto(fo); fo = ""
		}
	}
	sec == "RETURN VALUES" && /^\.(It|El)/ {
		end_item()
		if ($1 == ".It") {
			n = split_args($0, a)
			for (i = 2; i < n; i++)
				if (a[i] == "Fn") item[++nitem] = a[i + 1]
		}
	}
	sec == "CONTEXT" && /^\.It Fn / { printf "ctx\t%s\t%s\n", page, $3 }
	' "$mandir/$f" >>"$tmp/facts"
done

# --- rendering and lookup ------------------------------------------------------

: >"$tmp/render"
: >"$tmp/unfound"
if [ $have_man = 1 ]; then
	# The installed set: exactly what man/local.mk lists.
	mkdir "$tmp/root" "$tmp/root/man3" "$tmp/root/man7"
	while read -r f; do
		[ -f "$mandir/$f" ] &&
			cp "$mandir/$f" "$tmp/root/man${f##*.}/$f"
	done <"$tmp/listed"
	for f in $(awk -F '\t' '$1 == "sec" { print $2 }' "$tmp/facts" |
	    sort -u); do
		p=$(cd "$mandir" && ls "$f".[37])
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$mandir/$p" \
			>/dev/null 2>"$tmp/err" || echo "exit status $?" >>"$tmp/err"
		groff -mdoc -ww -z -Tutf8 "$mandir/$p" 2>>"$tmp/err" >/dev/null
		printf '%s\t%s\n' "$p" "$(head -n 1 "$tmp/err")" >>"$tmp/render"
	done
	# One man call looks every name up; a name it cannot find is named
	# on stderr.
	all=$(cut -f 1 "$tmp/decl" | cat - "$tmp/nm" | sort -u)
	# shellcheck disable=SC2086
	man -M "$tmp/root" -w 3 $all 2>&1 >/dev/null |
		sed -n 's/^No manual entry for \([a-z0-9_]*\).*/\1/p' \
		>"$tmp/unfound"
fi

# --- the verdicts --------------------------------------------------------------

cut -f 1 "$tmp/decl" | cat - "$tmp/nm" | sort -u >"$tmp/names"

awk -F '\t' -v have_man=$have_man -v lib="$lib" '
function result(ok, desc, diag) {
	n++
	failed += !ok
	out[n] = (ok ? "ok " : "not ok ") n " - " desc
	if (!ok && diag != "")
		out[n] = out[n] "\n# " diag
}
function skip(desc, why) {
	n++
	out[n] = "ok " n " - " desc " # SKIP " why
}
# The ACHAN_* names of a list that are neither statuses nor macros.
function bogus(list,    a, k, m, r) {
	m = split(list, a, " ")
	r = ""
	for (k = 1; k <= m; k++)
		if (!(a[k] in status) && !(a[k] in macro))
			r = r " " a[k]
	return r
}
function name_tests(x,    f, tp, diag, pg, want, got, b) {
	# exported and declared
	if ((x in exported) && (x in decl))
		result(1, x ": exported and declared")
	else if (x in exported)
		result(0, x ": exported and declared",
		    "exported by " lib " but declared in no header")
	else
		result(0, x ": exported and declared",
		    "declared in a header but not exported by " lib)

	# a page that man finds
	f = x ".3"; diag = ""; tp = x
	if (!(f in file))
		diag = "no man/" f " (a .so link to the page of its kind)"
	else if (!(f in listed))
		diag = "man/" f " is not listed in man/local.mk"
	else {
		if (f in link) {
			tp = link[f]
			if (tp !~ /^man3\/[a-z0-9_]+\.3$/)
				diag = "man/" f ": .so " tp ": want .so man3/PAGE.3"
			sub(/^man3\//, "", tp)
			sub(/\.3$/, "", tp)
		}
		if (diag == "" && !((tp ".3") in file && !((tp ".3") in link)))
			diag = "man/" f " points at " tp ".3, which is not a page"
		else if (diag == "" && !((tp, x) in named))
			diag = tp "(3) does not name " x " in NAME (.Nm)"
		else if (diag == "" && (x in decl) && tp != decl[x])
			diag = "man/" f " is " tp "(3), but " x " belongs on " decl[x] "(3)"
		else if (diag == "" && have_man && (x in unfound))
			diag = "man -w 3 " x " finds nothing in the installed set"
	}
	result(diag == "", x ": has a page", diag)

	# the prototype
	if (!(x in decl))
		skip(x ": SYNOPSIS matches its header", "not declared")
	else {
		pg = decl[x]; want = proto[x]
		if ((pg, x) in syn)
			got = syn[pg, x]
		if (!((pg, x) in syn))
			result(0, x ": SYNOPSIS matches its header",
			    pg "(3) has no prototype of " x " in SYNOPSIS; header: " want)
		else
			result(got == want, x ": SYNOPSIS matches its header",
			    pg "(3): " got "\n# header: " want)
	}

	# RETURN VALUES and CONTEXT
	pg = (x in decl) ? decl[x] : tp; diag = ""
	if (!((pg, x) in rv))
		diag = pg "(3) has no RETURN VALUES entry (.It Fn " x ")"
	else if ((b = bogus(rvids[pg, x])) != "")
		diag = pg "(3) RETURN VALUES of " x ": not a status:" b
	else if (!((pg, x) in ctx))
		diag = pg "(3) has no CONTEXT row (.It Fn " x " Ta ...)"
	result(diag == "", x ": RETURN VALUES and CONTEXT", diag)
}
function page_tests(p,    f, sect, need, m, a, k, diag, b, nn, ns) {
	f = ((p ".3") in file) ? p ".3" : p ".7"
	sect = substr(f, length(f))
	if (!have_man)
		skip(f ": renders without warnings", "man or groff not installed")
	else
		result(render[f] == "", f ": renders without warnings",
		    "man --warnings / groff -ww: " render[f])

	need = "NAME|SYNOPSIS|DESCRIPTION|SEE ALSO"
	if (sect == "3")
		need = need "|LIBRARY|RETURN VALUES|CONTEXT|ERRORS|EXAMPLES"
	m = split(need, a, "|"); diag = ""
	for (k = 1; k <= m; k++)
		if (!((p, a[k]) in hassec))
			diag = diag " " a[k]
	if (diag != "")
		diag = "missing sections:" diag
	else if (sect == "3") {
		# NAME and SYNOPSIS name the same, declared, functions
		m = split(pagenames[p], a, " ")
		for (k = 1; k <= m; k++)
			if (!((p, a[k]) in syn))
				diag = diag " " a[k] " (in NAME, not in SYNOPSIS)"
		m = split(synnames[p], a, " ")
		for (k = 1; k <= m; k++)
			if (!((p, a[k]) in named))
				diag = diag " " a[k] " (in SYNOPSIS, not in NAME)"
			else if (!(a[k] in decl))
				diag = diag " " a[k] " (declared in no header)"
		m = split(entries[p], a, " ")
		for (k = 1; k <= m; k++)
			if (!((p, a[k]) in syn))
				diag = diag " " a[k] " (in RETURN VALUES or CONTEXT, not in SYNOPSIS)"
	}
	result(diag == "", f ": sections; NAME, SYNOPSIS, RETURN VALUES agree", diag)

	b = bogus(ids[p])
	result(b == "", f ": every ACHAN_ name is a status or a header macro",
	    "unknown:" b)
}
FILENAME ~ /\/enum$/ { status[$1] = 1; next }
FILENAME ~ /\/macros$/ { macro[$1] = 1; next }
FILENAME ~ /\/decl$/ { decl[$1] = $2; proto[$1] = $3; next }
FILENAME ~ /\/nm$/ { exported[$1] = 1; next }
FILENAME ~ /\/listed$/ { listed[$1] = 1; next }
FILENAME ~ /\/files$/ { file[$1] = 1; files[++nfiles] = $1; next }
FILENAME ~ /\/links$/ { link[$1] = $2; next }
FILENAME ~ /\/unfound$/ { unfound[$1] = 1; next }
FILENAME ~ /\/render$/ { render[$1] = $2; next }
FILENAME ~ /\/facts$/ {
	if ($1 == "nm") {
		named[$2, $3] = 1; pagenames[$2] = pagenames[$2] " " $3
	} else if ($1 == "syn") {
		syn[$2, $3] = $4; synnames[$2] = synnames[$2] " " $3
	} else if ($1 == "rv") {
		rv[$2, $3] = 1; rvids[$2, $3] = rvids[$2, $3] " " $4
		entries[$2] = entries[$2] " " $3
	} else if ($1 == "ctx") {
		ctx[$2, $3] = 1
		entries[$2] = entries[$2] " " $3
	} else if ($1 == "sec") {
		hassec[$2, $3] = 1
		if (!($2 in ispage)) { ispage[$2] = 1; pages[++npages] = $2 }
	} else if ($1 == "id") {
		ids[$2] = ids[$2] " " $3
	}
	next
}
FILENAME ~ /\/names$/ { name_tests($1); nnames++; next }
END {
	for (k = 1; k <= npages; k++)
		page_tests(pages[k])

	diag = ""
	for (s in status)
		if (index(ids["achan_strerror"] " ", " " s " ") == 0)
			diag = diag " " s
	result(diag == "", "achan_strerror(3) names every status of enum achan_status",
	    "missing:" diag)

	diag = ""
	for (k = 1; k <= nfiles; k++)
		if (!(files[k] in listed))
			diag = diag " " files[k]
	for (f in listed)
		if (!(f in file))
			diag = diag " " f "(listed, missing)"
	result(diag == "", "every page and link in man/ is listed in man/local.mk",
	    "not listed:" diag)

	diag = ""
	for (f in link)
		if (!(substr(link[f], 6) in file) || (substr(link[f], 6) in link))
			diag = diag " " f "->" link[f]
	result(diag == "", "every .so link points at a page", "dangling:" diag)

	printf "1..%d\n", n
	for (k = 1; k <= n; k++)
		print out[k]
	printf "# %d functions, %d pages, %d files in man/\n", nnames, npages, nfiles
	exit failed != 0
}' "$tmp/enum" "$tmp/macros" "$tmp/decl" "$tmp/nm" "$tmp/listed" \
	"$tmp/files" "$tmp/links" "$tmp/unfound" "$tmp/render" "$tmp/facts" \
	"$tmp/names"
