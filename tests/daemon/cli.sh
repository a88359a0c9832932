#!/usr/bin/env bash
# The gocsp command against a real gocspd: every channel subcommand, its
# output and its exit codes (0 ok, 1 error, 2 usage, 3 closed, 4 timeout,
# 5 unreachable), standard input in batches, -0, --json and --help.
#
# usage: cli.sh    (ctest sets GOCSPD and GOCSP)
test=cli
. "$(dirname "$0")/harness.sh"

start_daemon

# --- reaching the daemon --------------------------------------------------
expect 0 g ping
grep -q "pid $daemon" "$dir/out" || fail "ping does not name pid $daemon"
expect 5 g -u "ipc://$dir/nothing.sock" ping
grep -q "cannot reach gocspd: no gocspd at $dir/nothing.sock" "$dir/err" ||
	fail "unreachable daemon: $(cat "$dir/err")"

# --- usage ----------------------------------------------------------------
expect 2 g
expect 2 g bogus
expect 2 g recv
expect 2 g recv q -n 0
expect 2 g recv q -n 2 -a
expect 2 g recv q -t soon
expect 2 g make q -c -1
expect 2 g select -t 1s nonsense
expect 2 g stat
expect 0 g --version
for cmd in make close rm send recv select ls stat ping; do
	expect 0 g "$cmd" --help
	grep -q "usage: gocsp $cmd" "$dir/out" || fail "$cmd --help"
done

# --- make, send, recv -----------------------------------------------------
expect 0 g make q -c 100
expect 0 g make q -c 100
expect 1 g make q -c 5
grep -q "channel 'q' exists with capacity 100" "$dir/err" ||
	fail "make with another capacity: $(cat "$dir/err")"
expect 1 g make "bad name"
expect 0 g send q one two three
expect 0 g recv q -n 2
same "$dir/out" "$(printf 'one\ntwo')"
expect 0 g recv q
same "$dir/out" three
printf 'a b\n\nc\n' | g send q || fail "send from stdin"
expect 0 g recv q -n 3
same "$dir/out" "$(printf 'a b\n\nc')"
printf 'x\ny\0z\0' | g send q -0 || fail "send -0"
g recv q -n 2 -0 | od -An -c | tr -s ' ' >"$dir/od"
same "$dir/od" " x \n y \0 z \0"
expect 1 g send nope x
grep -q "no channel named 'nope'" "$dir/err" || fail "ENOENT message"

# --- standard input goes in batches ---------------------------------------
expect 0 g make big -c 20000
before=$(g ping | sed 's/.* \([0-9]*\) requests handled/\1/')
seq 1 20000 | g send big || fail "send 20000 lines"
after=$(g ping | sed 's/.* \([0-9]*\) requests handled/\1/')
requests=$((after - before - 1))
[ "$requests" -le 1000 ] ||
	fail "20000 lines took $requests requests: not batched"
expect 0 g recv big -n 20000
[ "$(wc -l <"$dir/out")" = 20000 ] || fail "recv -n 20000"
[ "$(head -1 "$dir/out")$(tail -1 "$dir/out")" = 120000 ] ||
	fail "order of 20000 lines"

# --- timeouts (4) and closed channels (3) ---------------------------------
expect 0 g make small -c 1
expect 4 g recv small -t 100ms
expect 0 g send small full
expect 4 g send small more -t 100ms
expect 0 g close small
expect 3 g close small
expect 3 g send small late
expect 0 g recv small -a
same "$dir/out" full
expect 3 g recv small
expect 0 g rm small
expect 1 g rm small

# recv -a is Go's range: it ends when the channel is closed and drained.
expect 0 g make r -c 10
( sleep 0.3; g send r 1 2; g close r ) &
feeder=$!
expect 0 g recv r -a
same "$dir/out" "$(printf '1\n2')"
wait "$feeder"

# --- unbuffered: send returns once a receiver has the value ----------------
expect 0 g make u
( sleep 0.3; g recv u >"$dir/u.out" ) &
receiver=$!
expect 0 g send u hand -t 5s
wait "$receiver"
same "$dir/u.out" hand
expect 4 g send u nobody -t 100ms

# --- select ---------------------------------------------------------------
expect 0 g make s1 -c 1
expect 0 g make s2 -c 1
expect 4 g select -t 100ms recv:s1 recv:s2
expect 0 g send s2 hello
expect 0 g select -t 1s recv:s1 recv:s2
same "$dir/out" "$(printf 'recv:s2\nhello')"
expect 0 g select recv:s1 send:s2=sent
same "$dir/out" "send:s2"
expect 0 g recv s2
same "$dir/out" sent
expect 0 g close s1
expect 3 g select -t 1s recv:s1
same "$dir/out" "recv:s1"

# --- ls and stat, for people and for programs ------------------------------
expect 0 g ls
grep -q '^NAME' "$dir/out" || fail "ls header"
grep -q '^q ' "$dir/out" || fail "ls lists q"
expect 0 g ls --json
python3 - "$dir/out" <<'PY' || fail "ls --json"
import json, sys
names = set()
for line in open(sys.argv[1]):
    o = json.loads(line)
    for k in ("name", "cap", "len", "closed", "recv_waiting",
              "send_waiting", "sent", "received"):
        assert k in o, (k, o)
    names.add(o["name"])
assert {"q", "big", "u", "s1", "s2"} <= names, names
PY
expect 0 g stat big --json
python3 - "$dir/out" <<'PY' || fail "stat --json"
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o["name"] == "big" and o["cap"] == 20000, o
assert o["sent"] == 20000 and o["received"] == 20000 and o["len"] == 0, o
assert o["closed"] is False, o
PY
expect 0 g stat s1
grep -q '^closed: *yes' "$dir/out" || fail "stat s1 closed"
expect 1 g stat nope

# --- the daemon stops cleanly on SIGTERM ------------------------------------
stop_daemon
expect 5 g ping

finish
