#!/bin/sh
# The man pages as built (docs/man, scdoc): each of gocsp(1), gocspd(8),
# libgocsp(3) and gocsp-client(3) renders with `man -l` without a single
# groff warning and has a NAME line whatis can read; gocspd(8) documents
# every option of `gocspd --help`, gocsp(1) every command of
# `gocsp --help`.
#
# usage: man.sh MAN_DIR    (ctest sets GOCSPD and GOCSP)
set -u
mandir=$1
failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

if ! command -v man >/dev/null 2>&1; then
	echo "skipped: man is not installed (Debian: man-db)"
	exit 77
fi

work=$(mktemp -d /tmp/gocsp-man.XXXXXX)
trap 'rm -rf "$work"' EXIT

for page in man1/gocsp.1 man8/gocspd.8 man3/libgocsp.3 man3/gocsp-client.3; do
	f=$mandir/$page
	name=$(basename "$page" | sed 's/\.[0-9]$//')
	if [ ! -s "$f" ]; then
		fail "$f was not built"
		continue
	fi
	MANWIDTH=80 man --warnings=all -l "$f" >"$work/$name.txt" \
	    2>"$work/$name.err" || fail "man -l $f exited $?"
	[ -s "$work/$name.err" ] && fail "$page: $(cat "$work/$name.err")"
	grep -q "^NAME" "$work/$name.txt" || fail "$page: no NAME section"
	lexgrog "$f" 2>&1 | grep -q "\"$name - " ||
		fail "$page: whatis cannot read its NAME: $(lexgrog "$f" 2>&1)"
	echo "$page: $(wc -l <"$work/$name.txt") lines"
done

# Every long option of gocspd --help, in gocspd(8).
for opt in $("$GOCSPD" --help | grep -o -- '--[a-z][-a-z]*' | sort -u); do
	grep -Eq -- "^ *(-[a-z0-9], )?$opt\\b" "$work/gocspd.txt" ||
		fail "gocspd(8) does not document $opt"
done
# Every command of gocsp --help, in gocsp(1).
for cmd in $("$GOCSP" --help | sed -n 's/^  gocsp \([a-z]*\).*/\1/p'); do
	grep -q "^       $cmd\\b" "$work/gocsp.txt" ||
		fail "gocsp(1) does not document '$cmd'"
done

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)" >&2
	exit 1
fi
echo ok
