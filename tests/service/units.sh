#!/usr/bin/env bash
# The systemd units as installed: `cmake --install` of this build tree
# into a fresh prefix, then both gocspd.service files (system and user)
# pass `systemd-analyze verify` without a warning (their Documentation=
# man pages included) and score at most 2.0 in `systemd-analyze security
# --offline=true`; they run the installed gocspd as Type=notify with a
# watchdog; the sysusers.d file makes user gocsp.  Skipped (77) without
# systemd-analyze.
#
# usage: units.sh BUILD_DIR [CONFIG]    (environment: CMAKE; ctest sets
#        GOCSPD and GOCSP)
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "skipped: systemd-analyze is not installed (Debian: systemd)"
	exit 77
fi
test=units
. "$(dirname "$0")/../daemon/harness.sh"
build=${1:?usage: units.sh BUILD_DIR [CONFIG]}
config=${2:-}
max_exposure=2.0

prefix=$dir/prefix
expect 0 "${CMAKE:-cmake}" --install "$build" --prefix "$prefix" \
    ${config:+--config "$config"}
[ "$failures" = 0 ] || finish
# The user manager's runtime directory, which --user needs.
mkdir -m 0700 "$dir/xdg"
export XDG_RUNTIME_DIR=$dir/xdg MANPATH=$prefix/share/man

system=$prefix/lib/systemd/system/gocspd.service
user=$prefix/lib/systemd/user/gocspd.service
sysusers=$prefix/lib/sysusers.d/gocsp.conf

# check NAME UNIT [--user]: verify and score it.
check() {
	local name=$1 unit=$2 mode=${3:-}
	expect 0 systemd-analyze verify $mode "$unit"
	[ -s "$dir/err" ] && fail "$name: systemd-analyze verify: $(cat "$dir/err")"
	expect 0 systemd-analyze security $mode --offline=true "$unit"
	local score
	score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' \
	    "$dir/out")
	if [ -z "$score" ]; then
		fail "$name: no score: $(cat "$dir/out" "$dir/err")"
		return
	fi
	echo "$name: exposure $score (at most $max_exposure)"
	awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }' || {
		grep '✗' "$dir/out" >&2
		fail "$name: exposure $score is over $max_exposure"
	}
	local line
	for line in Type=notify WatchdogSec= Restart=on-failure KillMode=mixed \
	    "ExecStart=$prefix/sbin/gocspd"; do
		grep -q "^$line" "$unit" || fail "$name: no $line"
	done
}

check "system unit" "$system"
check "user unit" "$user" --user
# The system unit serves the system socket to group gocsp; PrivateUsers=
# would turn every other user into "nobody".
grep -q '^ExecStart=.* -u ipc:///run/gocsp/gocspd.sock --allow-group gocsp$' \
    "$system" || fail "system unit: not on /run/gocsp for group gocsp"
grep -q '^PrivateUsers=' "$system" && fail "system unit: PrivateUsers="
grep -q '^User=gocsp$' "$system" || fail "system unit: not User=gocsp"

mkdir -p "$dir/root/etc"
expect 0 systemd-sysusers --dry-run --root="$dir/root" "$sysusers"
grep -q "Creating user 'gocsp'" "$dir/out" "$dir/err" ||
	fail "sysusers: no user gocsp: $(cat "$dir/out" "$dir/err")"

finish
