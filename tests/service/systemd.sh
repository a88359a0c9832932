#!/usr/bin/env bash
# gocspd.service under a real systemd: this build, installed into an
# overlay of the host's own root, is booted with systemd-nspawn (systemd
# as PID 1, no network) into a target that starts the system unit and a
# check.  Inside, the check finds: the unit active once gocspd is ready;
# a client with no URL reaching it through /run/gocsp; a worker pool
# running in the unit's sandbox as user gocsp; a member of group gocsp
# admitted and another user refused; a stopped gocspd killed by the
# watchdog and restarted; and a clean stop.  Needs root, systemd-nspawn
# (Debian: systemd-container) and overlayfs; skipped (77) otherwise.
#
# usage: systemd.sh BUILD_DIR    (environment: CMAKE; ctest sets GOCSPD
#        and GOCSP)
why=
[ "$(id -u)" = 0 ] || why="not root"
command -v systemd-nspawn >/dev/null 2>&1 ||
	why="no systemd-nspawn (Debian: systemd-container)"
[ -x /lib/systemd/systemd ] || why="no systemd to boot"
if [ -n "$why" ]; then
	echo "skipped: $why"
	exit 77
fi
test=systemd
. "$(dirname "$0")/../daemon/harness.sh"
build=${1:?usage: systemd.sh BUILD_DIR}

upper=$dir/upper merged=$dir/merged
mkdir -p "$upper" "$dir/work" "$merged"
# Unmount before the harness removes $dir: its merged tree is the host's.
trap 'umount "$merged" 2>/dev/null; cleanup' EXIT

expect 0 env DESTDIR="$upper" "${CMAKE:-cmake}" --install "$build" \
	--prefix /usr/local
[ "$failures" = 0 ] || finish

units=$upper/etc/systemd/system
mkdir -p "$units/gocspd.service.d" "$upper/root"
cat /proc/sys/kernel/random/uuid | tr -d - >"$upper/etc/machine-id"
printf '[Service]\nWatchdogSec=3s\n' >"$units/gocspd.service.d/watchdog.conf"
cat >"$units/gocsp-check.target" <<'EOF'
[Unit]
Description=gocspd.service and its check
Wants=gocspd.service gocsp-check.service
EOF
cat >"$units/gocsp-check.service" <<'EOF'
[Unit]
After=gocspd.service
Wants=gocspd.service
[Service]
Type=oneshot
ExecStart=/bin/bash /root/check.sh
StandardOutput=file:/root/check.log
StandardError=inherit
ExecStopPost=/bin/kill -s RTMIN+4 1
EOF
# One line per check: "ok NAME" or "FAIL NAME: why".
cat >"$upper/root/check.sh" <<'EOF'
set -x
exec 3>/root/results
ok() { echo "ok $1" >&3; }
no() { echo "FAIL $1: $2" >&3; }
show() { systemctl show -p "$2" --value "$1"; }

[ "$(show gocspd ActiveState)" = active ] && ok active ||
	no active "$(systemctl status gocspd --no-pager)"
out=$(gocsp ping) && ok fallback || no fallback "$out"
gocsp make in -c 100 && gocsp make out -c 100
cd /tmp
gocsp spawn -n 2 --name sq --from in --to out \
	-- sh -c 'echo "$(id -un) $((GOCSP_MSG * GOCSP_MSG))"'
seq 1 10 | gocsp send in && gocsp close in && gocsp wait sq --no-progress
out=$(gocsp recv out -a | sort | uniq -c | awk '{ n += $1; s += $3; u[$2] }
	END { for (k in u) w = w k; print n, s, w }')
[ "$out" = "10 385 gocsp" ] && ok pool || no pool "$out"

useradd -G gocsp member && useradd outsider
out=$(su member -c 'gocsp ping' 2>&1) && ok member || no member "$out"
out=$(su outsider -c 'gocsp ping' 2>&1)
[ $? = 5 ] && ok outsider || no outsider "$out"

pid=$(show gocspd MainPID)
kill -STOP "$pid"
for _ in $(seq 100); do
	[ "$(show gocspd NRestarts)" = 1 ] &&
		[ "$(show gocspd ActiveState)" = active ] && break
	sleep 0.1
done
new=$(show gocspd MainPID)
[ "$new" != "$pid" ] && [ "$new" != 0 ] && gocsp ping && ok watchdog ||
	no watchdog "$(journalctl -u gocspd --no-pager | tail -5)"

systemctl stop gocspd
[ "$(show gocspd Result)" = success ] && ok stop ||
	no stop "$(journalctl -u gocspd --no-pager | tail -5)"
EOF

expect 0 mount -t overlay overlay \
	-o "lowerdir=/,upperdir=$upper,workdir=$dir/work" "$merged"
if [ "$failures" != 0 ]; then
	echo "skipped: cannot mount an overlay of / ($(cat "$dir/err"))"
	exit 77
fi
timeout 120 systemd-nspawn --quiet --register=no --keep-unit \
	--link-journal=no --private-network --machine="gocsp-$$" \
	-D "$merged" --boot --console=pipe systemd.unit=gocsp-check.target \
	>"$dir/boot.log" 2>&1
status=$?
umount "$merged"
[ "$status" = 0 ] || fail "systemd-nspawn exited $status: $(tail -5 "$dir/boot.log")"

for check in active fallback pool member outsider watchdog stop; do
	grep -qx "ok $check" "$upper/root/results" 2>/dev/null ||
		fail "$(grep "^FAIL $check" "$upper/root/results" 2>/dev/null ||
			echo "$check: no result")"
done
[ "$failures" = 0 ] || tail -40 "$upper/root/check.log" >&2
finish
