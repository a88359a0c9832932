#!/usr/bin/env bash
# gocspd's log as a service manager reads it: with stderr the journal
# ($JOURNAL_STREAM names it), every line starts with its syslog level
# (<3> error ... <7> debug); otherwise "gocspd: LEVEL: ..."; --log-level
# filters; --version prints the version.
#
# usage: logs.sh VERSION    (ctest sets GOCSPD and GOCSP)
set -uo pipefail

: "${GOCSPD:?GOCSPD is not set (ctest sets it)}"
: "${GOCSP:?GOCSP is not set (ctest sets it)}"
version=${1:?usage: logs.sh VERSION}

dir=$(mktemp -d /tmp/gocsp-logs.XXXXXX)
url=ipc://$dir/gocspd.sock
daemon=
failures=0

cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon"
	rm -rf "$dir"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# run_daemon LOG JOURNAL_STREAM ARGS...: start gocspd, stderr to LOG,
# with that JOURNAL_STREAM (empty: none); wait until it answers, make a
# channel, stop it.  Fails unless it exits 0.
run_daemon() {
	local log=$1 js=$2
	shift 2
	: >"$log"
	if [ -n "$js" ]; then
		JOURNAL_STREAM=$js "$GOCSPD" -u "$url" "$@" 2>>"$log" &
	else
		env -u JOURNAL_STREAM "$GOCSPD" -u "$url" "$@" 2>>"$log" &
	fi
	daemon=$!
	for _ in $(seq 200); do
		"$GOCSP" -u "$url" ping >/dev/null 2>&1 && break
		sleep 0.05
	done
	"$GOCSP" -u "$url" make logged -c 1 || fail "make on $*"
	"$GOCSP" -u "$url" rm logged || fail "rm on $*"
	kill "$daemon"
	wait "$daemon" || fail "gocspd $* exited $?"
	daemon=
}

# --- --version ----------------------------------------------------------
out=$("$GOCSPD" --version) || fail "--version exited $?"
[ "$out" = "gocspd $version" ] || fail "--version printed '$out'"

# --- plain text, no journal ----------------------------------------------
log=$dir/plain.log
run_daemon "$log" ""
grep -q "^gocspd: notice: listening on $url\$" "$log" ||
	fail "plain: no notice line: $(cat "$log")"
grep -q "^gocspd: info: channel 'logged' removed" "$log" ||
	fail "plain: no info line: $(cat "$log")"
grep -q '^<' "$log" && fail "plain: level prefixes: $(cat "$log")"

# --- the journal: JOURNAL_STREAM is stderr's device:inode ----------------
log=$dir/journal.log
: >"$log"
run_daemon "$log" "$(stat -c %d:%i "$log")" --log-level debug
grep -q "^<5>listening on $url\$" "$log" ||
	fail "journal: no <5> line: $(cat "$log")"
grep -q "^<6>channel 'logged' removed" "$log" ||
	fail "journal: no <6> line: $(cat "$log")"
grep -q "^<7>client [0-9]* connected" "$log" ||
	fail "journal: no <7> line: $(cat "$log")"
grep -vq '^<[3-7]>' "$log" && fail "journal: a line without its level: \
$(grep -v '^<[3-7]>' "$log")"

# Another file's device:inode: stderr is not the journal.
log=$dir/other.log
run_daemon "$log" "$(stat -c %d:%i "$dir/journal.log")"
grep -q '^<' "$log" && fail "JOURNAL_STREAM of another file: prefixes"

# --- --log-level ---------------------------------------------------------
log=$dir/warning.log
run_daemon "$log" "" --log-level warning
grep -q 'notice\|info' "$log" && fail "--log-level warning: $(cat "$log")"

# An error (a second gocspd on the same socket) at the journal's level 3.
"$GOCSPD" -u "$url" -q 2>/dev/null &
daemon=$!
for _ in $(seq 200); do
	"$GOCSP" -u "$url" ping >/dev/null 2>&1 && break
	sleep 0.05
done
log=$dir/error.log
: >"$log"
JOURNAL_STREAM=$(stat -c %d:%i "$log") "$GOCSPD" -u "$url" 2>>"$log"
rc=$?
[ "$rc" = 1 ] || fail "a second gocspd on the socket exited $rc, want 1"
grep -q '^<3>another gocspd' "$log" || fail "no <3> error: $(cat "$log")"

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)" >&2
	exit 1
fi
echo ok
