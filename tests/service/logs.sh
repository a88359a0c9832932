#!/usr/bin/env bash
# gocspd's log as a service manager reads it: with stderr the journal
# ($JOURNAL_STREAM names it), every line starts with its syslog level
# (<3> error ... <7> debug); otherwise "gocspd: LEVEL: ..."; --log-level
# filters; --version prints the version.
#
# usage: logs.sh VERSION    (ctest sets GOCSPD and GOCSP)
test=logs
. "$(dirname "$0")/../daemon/harness.sh"
version=${1:?usage: logs.sh VERSION}

# run_daemon LOG JOURNAL_STREAM ARGS...: start gocspd with stderr to LOG
# and that JOURNAL_STREAM (empty: none), wait until it answers, make and
# remove a channel, stop it; it must exit 0.
run_daemon() {
	local log=$1 js=$2
	shift 2
	: >"$log"
	if [ -n "$js" ]; then
		JOURNAL_STREAM=$js "$GOCSPD" "$@" 2>>"$log" &
	else
		env -u JOURNAL_STREAM "$GOCSPD" "$@" 2>>"$log" &
	fi
	daemon=$!
	for _ in $(seq 200); do
		g ping >/dev/null 2>&1 && break
		sleep 0.05
	done
	expect 0 g make logged -c 1
	expect 0 g rm logged
	local status=0
	kill "$daemon"
	wait "$daemon" || status=$?
	daemon=
	[ "$status" = 0 ] || fail "gocspd $* exited $status: $(cat "$log")"
}

# --- --version ----------------------------------------------------------
expect 0 "$GOCSPD" --version
same "$dir/out" "gocspd $version"

# --- plain text, no journal ----------------------------------------------
log=$dir/plain.log
run_daemon "$log" ""
grep -q "^gocspd: notice: listening on $GOCSP_URL\$" "$log" ||
	fail "plain: no notice line: $(cat "$log")"
grep -q "^gocspd: info: channel 'logged' removed" "$log" ||
	fail "plain: no info line: $(cat "$log")"
grep -q '^<' "$log" && fail "plain: level prefixes: $(cat "$log")"

# --- the journal: JOURNAL_STREAM is stderr's device:inode ----------------
log=$dir/journal.log
: >"$log"
run_daemon "$log" "$(stat -c %d:%i "$log")" --log-level debug
grep -q "^<5>listening on $GOCSP_URL\$" "$log" ||
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
start_daemon
: >"$dir/err" # expect writes the stderr there, keeping the inode
expect 1 env JOURNAL_STREAM="$(stat -c %d:%i "$dir/err")" "$GOCSPD"
grep -q '^<3>another gocspd' "$dir/err" ||
	fail "no <3> error: $(cat "$dir/err")"
stop_daemon

finish
