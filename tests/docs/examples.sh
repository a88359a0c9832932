#!/bin/sh
# Every example a user may copy compiles warning-free as strict C11:
# examples/*.c, and each complete C program (a ```c block with a main) in
# README.md and docs/*.md, with -std=c11 -Wall -Wextra -Werror.
#
# usage: examples.sh SOURCE_DIR [CC]
set -eu
src=$1
cc=${2:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags="-std=c11 -Wall -Wextra -Werror -fsyntax-only"
flags="$flags -I$src/libgocsp/include -I$src/clients/include"
failed=0

check() { # FILE LABEL
	if ! $cc $flags "$1" 2>"$tmp/err"; then
		echo "FAIL: $2"
		cat "$tmp/err"
		failed=$((failed + 1))
	fi
}

for f in "$src"/examples/*.c; do
	check "$f" "${f#"$src"/}"
done

for md in "$src/README.md" "$src"/docs/*.md; do
	[ -f "$md" ] || continue
	# Split the file's ```c blocks into block-N.c files.
	awk -v dir="$tmp" '
		/^```c$/ { n++; out = sprintf("%s/block-%d.c", dir, n); next }
		/^```/ { out = ""; next }
		out != "" { print > out }
	' "$md"
	for b in "$tmp"/block-*.c; do
		[ -f "$b" ] || continue
		if grep -q '^main(' "$b"; then
			check "$b" "${md#"$src"/}, C block ${b##*block-}"
		fi
		rm -f "$b"
	done
done

if [ "$failed" -ne 0 ]; then
	echo "examples.sh: $failed example(s) do not compile cleanly"
	exit 1
fi
echo "examples.sh: every example compiles warning-free as C11"
