#!/bin/sh
# The TCP echo examples run as their comments say: examples/echo_server
# with --max-conns serves examples/echo_client's connections, checked
# byte for byte by the client, as fast as they go and then under a fixed
# offered load (-r), and exits by itself once they have closed.  Each
# connection's socket is owned (gocsp_fd_own) and closed with
# gocsp_close, so this runs that path end to end.
#
# usage: echo.sh BUILD_EXAMPLES_DIR
set -eu
bin=$1
tmp=$(mktemp -d)
server=
cleanup() {
	[ -z "$server" ] || kill "$server" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*.txt; do
		[ -f "$f" ] && { echo "--- $f"; cat "$f"; }
	done
	exit 1
}

# one ARGS...: a server for 8 connections, the client with ARGS.
one() {
	: >"$tmp/server.txt"
	"$bin/echo_server" 0 --max-conns 8 >"$tmp/server.txt" 2>&1 &
	server=$!
	port=
	i=0
	while [ $i -lt 50 ] && [ -z "$port" ]; do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' \
			"$tmp/server.txt")
		[ -n "$port" ] || sleep 0.1
		i=$((i + 1))
	done
	[ -n "$port" ] || fail "echo_server did not start"
	"$bin/echo_client" -c 8 -p "$port" "$@" >"$tmp/client.txt" 2>&1 ||
		fail "echo_client $* exited with $?"
	grep -q '^echo .* errors=0 ' "$tmp/client.txt" ||
		fail "echo_client $*: no clean summary line"
	# The server exits once every connection has closed.
	i=0
	while kill -0 "$server" 2>/dev/null; do
		[ $i -lt 100 ] || fail "echo_server did not exit after its 8 connections"
		sleep 0.1
		i=$((i + 1))
	done
	wait "$server" || fail "echo_server exited with $?"
	server=
}

one -n 2000 -s 100
one -n 200 -s 64 -r 4000
# -r: 8 x 200 requests at 4000/s take 0.4 s; the rate is the rate offered.
rate=$(sed -n 's/^echo requests_per_s=\([0-9]*\).*/\1/p' "$tmp/client.txt")
[ "$rate" -ge 3000 ] && [ "$rate" -le 4100 ] ||
	fail "echo_client -r 4000 ran at $rate requests/s"
echo "echo.sh: the echo examples ran, back to back and at a fixed rate"
