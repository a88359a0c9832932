#!/bin/sh
# usage: symbols.sh LIBGOCSP_SO GOCSP_H
#
# The shared library must export every function the public header declares
# with GOCSP_API, and no name outside gocsp_[a-z]*: internals are gocsp__ and
# hidden (C_VISIBILITY_PRESET), and symbols defined in assembly need .hidden.
set -eu
lib=$1
header=$2
nm=${NM:-nm}

exported=$("$nm" -D --defined-only "$lib" | awk '{ print $NF }' | sort -u)
declared=$(sed -n 's/^GOCSP_API[^(]*\<\(gocsp_[a-z0-9_]*\)(.*/\1/p' "$header" |
    sort -u)

status=0
foreign=$(printf '%s\n' "$exported" | grep -v '^gocsp_[a-z]' || true)
if [ -n "$foreign" ]; then
	echo "FAIL: $lib exports names outside gocsp_[a-z]*:"
	printf '  %s\n' $foreign
	status=1
fi
missing=
for name in $declared; do
	printf '%s\n' "$exported" | grep -qx "$name" || missing="$missing $name"
done
if [ -n "$missing" ]; then
	echo "FAIL: declared with GOCSP_API in $header, not exported by $lib:"
	printf '  %s\n' $missing
	status=1
fi
[ "$status" = 0 ] &&
    echo "ok: all $(echo "$declared" | wc -l) declared functions exported," \
	"no foreign names"
exit "$status"
