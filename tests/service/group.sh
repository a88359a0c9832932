#!/usr/bin/env bash
# gocspd --allow-group GROUP, as the system unit runs it: the socket 0660
# to GROUP (its default directory 0710), so that GROUP's members connect,
# by primary or supplementary group, and nobody else; only gocspd's user
# and root spawn.  Without it the socket stays private.
#
# Needs root (it runs gocspd and clients as made-up uids with setpriv);
# skipped (77) otherwise.
#
# usage: group.sh    (ctest sets GOCSPD and GOCSP)
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "skipped: needs root and setpriv (util-linux)"
	exit 77
fi
test=group
. "$(dirname "$0")/../daemon/harness.sh"
chmod 0755 "$dir" # the made-up users pass through
unset GOCSP_URL   # gocspd listens on its default socket, clients get -u

# Made-up ids: gocspd's user, the group, a member, an outsider, a member
# by a supplementary group.
daemon_uid=12001 group=12002 member=12003 outsider=12004 supp=12005

# as UID GID [GROUPS] -- COMMAND...: run it with those ids.
as() {
	local uid=$1 gid=$2 groups=--clear-groups
	shift 2
	if [ "$1" != -- ]; then
		groups=--groups=$1
		shift
	fi
	shift
	setpriv --reuid="$uid" --regid="$gid" "$groups" -- "$@"
}

# expect_as CODE UID GID [GROUPS] -- gocsp ARGS...: run gocsp with those
# ids (output in $dir/out, $dir/err), compare its exit status.
expect_as() {
	local want=$1 got=0
	shift
	local ids=()
	while [ "$1" != -- ]; do
		ids+=("$1")
		shift
	done
	shift
	as "${ids[@]}" -- "$GOCSP" -u "$url" "$@" >"$dir/out" 2>"$dir/err" ||
		got=$?
	[ "$got" = "$want" ] || fail "uid ${ids[0]}: gocsp $* exited $got," \
	    "want $want: $(cat "$dir/err")"
}

# start RUNTIME_DIR ARGS...: gocspd as daemon_uid (in the group, by a
# supplementary group) on its default socket under RUNTIME_DIR.
start() {
	local xdg=$1
	shift
	# Others may pass through, as through /run/gocsp (a user's
	# /run/user/UID is 0700: a per-user daemon serves that user alone).
	install -d -m 0711 -o "$daemon_uid" -g "$daemon_uid" "$xdg"
	url=ipc://$xdg/gocsp/gocspd.sock
	# setpriv, not the function: $! must be gocspd's pid.
	setpriv --reuid="$daemon_uid" --regid="$daemon_uid" --groups="$group" \
	    -- env XDG_RUNTIME_DIR="$xdg" "$GOCSPD" "$@" \
	    2>>"$dir/gocspd.log" &
	daemon=$!
	for _ in $(seq 200); do
		"$GOCSP" -u "$url" ping >/dev/null 2>&1 && return
		sleep 0.05
	done
	fail "gocspd $* did not answer as root: $(cat "$dir/gocspd.log")"
}

# --- --allow-group -------------------------------------------------------
start "$dir/open" --allow-group "$group"
sock=$dir/open/gocsp/gocspd.sock
[ "$(stat -c %a:%g "$sock")" = "660:$group" ] ||
	fail "socket: $(stat -c %a:%g "$sock"), want 660:$group"
[ "$(stat -c %a:%g "$dir/open/gocsp")" = "710:$group" ] ||
	fail "directory: $(stat -c %a:%g "$dir/open/gocsp"), want 710:$group"

expect_as 0 "$member" "$group" -- ping
expect_as 0 "$member" "$group" -- make shared -c 2
expect_as 0 "$member" "$group" -- send shared hello
expect_as 0 "$supp" "$supp" "$group" -- recv shared
same "$dir/out" hello
expect_as 5 "$outsider" "$outsider" -- ping
expect_as 1 "$member" "$group" -- spawn --from shared -- cat
grep -q "only uid $daemon_uid and root may spawn" "$dir/err" ||
	fail "a member's spawn: $(cat "$dir/err")"
expect_as 0 "$daemon_uid" "$daemon_uid" -- spawn --name mine --from shared \
    -- cat
expect_as 0 0 0 -- kill mine
stop_daemon

# --- private by default --------------------------------------------------
start "$dir/private"
sock=$dir/private/gocsp/gocspd.sock
[ "$(stat -c %a "$sock")" = 600 ] || fail "socket: $(stat -c %a "$sock")"
[ "$(stat -c %a "$dir/private/gocsp")" = 700 ] ||
	fail "directory: $(stat -c %a "$dir/private/gocsp")"
expect_as 5 "$member" "$group" -- ping
expect_as 0 "$daemon_uid" "$daemon_uid" -- ping
stop_daemon

# --- a group gocspd's user is not in, a group that does not exist --------
xdg=$dir/notmember
install -d -m 0700 -o "$daemon_uid" -g "$daemon_uid" "$xdg"
expect 1 as "$daemon_uid" "$daemon_uid" -- env XDG_RUNTIME_DIR="$xdg" \
    "$GOCSPD" --allow-group "$group"
grep -q "must be in the group" "$dir/err" ||
	fail "not explained: $(cat "$dir/err")"
expect 2 "$GOCSPD" --allow-group no-such-group-here

finish
