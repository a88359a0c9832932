#!/bin/sh
# The systemd units as installed: `cmake --install` of this build tree
# into a fresh prefix, then both gocspd.service files (system and user)
# pass `systemd-analyze verify` without a warning and score at most 2.0 in
# `systemd-analyze security --offline=true`; they run the installed gocspd
# as Type=notify with a watchdog; the sysusers.d file makes user gocsp.
# Skipped (77) without systemd-analyze.
#
# usage: units.sh BUILD_DIR WORK_DIR [CONFIG]    (environment: CMAKE)
set -u
build=$1
work=$2
config=${3:-}
cmake=${CMAKE:-cmake}
max_exposure=2.0

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "skipped: systemd-analyze is not installed (Debian: systemd)"
	exit 77
fi

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

rm -rf "$work"
mkdir -p "$work/xdg"
chmod 0700 "$work/xdg"
prefix=$work/prefix
"$cmake" --install "$build" --prefix "$prefix" ${config:+--config "$config"} \
    >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }

system=$prefix/lib/systemd/system/gocspd.service
user=$prefix/lib/systemd/user/gocspd.service
sysusers=$prefix/lib/sysusers.d/gocsp.conf
for f in "$system" "$user" "$sysusers"; do
	[ -f "$f" ] || fail "not installed: $f"
done
[ "$failures" -eq 0 ] || exit 1

# check NAME UNIT [--user]: verify and score it.
check() {
	name=$1 unit=$2 mode=${3:-}
	# The man pages of Documentation= must be there too.
	if ! XDG_RUNTIME_DIR=$work/xdg MANPATH=$prefix/share/man \
	    systemd-analyze verify $mode "$unit" >"$work/verify" 2>&1 ||
	    [ -s "$work/verify" ]; then
		fail "$name: systemd-analyze verify: $(cat "$work/verify")"
	fi
	XDG_RUNTIME_DIR=$work/xdg systemd-analyze security $mode \
	    --offline=true "$unit" >"$work/security" 2>&1
	score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' \
	    "$work/security")
	if [ -z "$score" ]; then
		fail "$name: no score: $(cat "$work/security")"
		return
	fi
	echo "$name: exposure $score (at most $max_exposure)"
	awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }' || {
		grep '✗' "$work/security" >&2
		fail "$name: exposure $score is over $max_exposure"
	}
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

mkdir -p "$work/root/etc"
systemd-sysusers --dry-run --root="$work/root" "$sysusers" \
    >"$work/sysusers" 2>&1 || fail "sysusers: $(cat "$work/sysusers")"
grep -q "Creating user 'gocsp'" "$work/sysusers" ||
	fail "sysusers: no user gocsp: $(cat "$work/sysusers")"

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)" >&2
	exit 1
fi
echo ok
