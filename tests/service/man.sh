#!/usr/bin/env bash
# The man pages as built (docs/man, scdoc): each of gocsp(1), gocspd(8),
# libgocsp(3) and gocsp-client(3) renders with `man -l` without a single
# groff warning and has a NAME line whatis can read; gocspd(8) documents
# every option of `gocspd --help`, gocsp(1) every command of
# `gocsp --help`.
#
# usage: man.sh MAN_DIR    (ctest sets GOCSPD and GOCSP)
if ! command -v man >/dev/null 2>&1; then
	echo "skipped: man is not installed (Debian: man-db)"
	exit 77
fi
test=man
. "$(dirname "$0")/../daemon/harness.sh"
mandir=${1:?usage: man.sh MAN_DIR}

for page in man1/gocsp.1 man8/gocspd.8 man3/libgocsp.3 man3/gocsp-client.3; do
	f=$mandir/$page
	name=$(basename "$page" | sed 's/\.[0-9]$//')
	if [ ! -s "$f" ]; then
		fail "$f was not built"
		continue
	fi
	MANWIDTH=80 expect 0 man --warnings=all -l "$f"
	mv "$dir/out" "$dir/$name.txt"
	[ -s "$dir/err" ] && fail "$page: $(cat "$dir/err")"
	grep -q "^NAME" "$dir/$name.txt" || fail "$page: no NAME section"
	expect 0 lexgrog "$f"
	grep -q "\"$name - " "$dir/out" ||
		fail "$page: whatis cannot read its NAME: $(cat "$dir/out")"
done

# Every long option of gocspd --help, in gocspd(8).
for opt in $("$GOCSPD" --help | grep -o -- '--[a-z][-a-z]*' | sort -u); do
	grep -Eq -- "^ *(-[a-z0-9], )?$opt\\b" "$dir/gocspd.txt" ||
		fail "gocspd(8) does not document $opt"
done
# Every command of gocsp --help, in gocsp(1).
for cmd in $(g --help | sed -n 's/^  gocsp \([a-z]*\).*/\1/p'); do
	grep -q "^       $cmd\\b" "$dir/gocsp.txt" ||
		fail "gocsp(1) does not document '$cmd'"
done

finish
