#!/usr/bin/env bash
# Worker pools and wait groups against a real gocspd: both modes, retries
# and the errors channel, --timeout, a worker killed with SIGKILL mid-job
# (its job is done again, once), wait with several feeding processes,
# progress off a terminal, spawn refused over the network, kill, limits,
# and no zombie or descriptor left after 1000 jobs.
#
# usage: pools.sh    (ctest sets GOCSPD and GOCSP)
test=pools
. "$(dirname "$0")/harness.sh"

# Worker processes of the daemon now (its children).
children() { pgrep -P "$daemon" | wc -l; }
# Its open descriptors.
fds() { ls "/proc/$daemon/fd" | wc -l; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_daemon -u "$GOCSP_URL" -u "tcp://127.0.0.1:$port" --max-pools 4 --max-workers 8

# --- per message ------------------------------------------------------------
expect 0 g make jobs -c 100
expect 0 g make squares -c 100
expect 0 g spawn -n 2 --name sq --from jobs --to squares \
	sh -c 'read x; echo $((x * x))'
same "$dir/out" sq
seq 1 20 | g send jobs
expect 0 g close jobs
expect 0 g wait sq
expect 0 g recv squares -a      # wait closed it
[ "$(sort -n "$dir/out" | tr '\n' ' ')" = \
  "1 4 9 16 25 36 49 64 81 100 121 144 169 196 225 256 289 324 361 400 " ] ||
	fail "squares: $(tr '\n' ' ' <"$dir/out")"
expect 0 g ps --json
python3 - "$dir/out" <<'PY' || fail "ps --json"
import json, sys
p = [json.loads(l) for l in open(sys.argv[1])]
sq = [x for x in p if x["name"] == "sq"][0]
assert sq["state"] == "finished" and sq["done"] == 20, sq
assert sq["failed"] == 0 and sq["mode"] == "message", sq
for k in ("queued", "running", "retried", "rate", "workers"):
    assert k in sq, k
PY

# $GOCSP_MSG, the spawner's directory and environment.
mkdir "$dir/here"
expect 0 g make env-in -c 10
expect 0 g make env-out -c 10
(cd "$dir/here" && MARK=marked g spawn --name env --from env-in \
	--to env-out sh -c 'echo "$GOCSP_MSG $MARK $(pwd)"' >/dev/null)
expect 0 g send env-in value
expect 0 g close env-in
expect 0 g wait env
expect 0 g recv env-out
same "$dir/out" "value marked $dir/here"

# --- stream mode --------------------------------------------------------------
expect 0 g make lines -c 100
expect 0 g make cubes -c 100
expect 0 g spawn -n 2 --stream --name cube --from lines --to cubes \
	sh -c 'while read x; do echo $((x * x * x)); done'
seq 1 10 | g send lines
expect 0 g close lines
expect 0 g wait cube
expect 0 g recv cubes -a
[ "$(sort -n "$dir/out" | tr '\n' ' ')" = \
  "1 8 27 64 125 216 343 512 729 1000 " ] || fail "cubes"

# --- failures: retries, the errors channel, --timeout -----------------------
expect 0 g make bad -c 10
expect 0 g spawn --name fails --from bad --retries 2 \
	sh -c 'echo "no good" >&2; exit 7'
expect 0 g send bad job1
expect 0 g close bad
expect 1 g wait fails
grep -q "1 of 1 jobs failed" "$dir/err" || fail "wait summary: $(cat "$dir/err")"
expect 0 g recv fails.errors -a
python3 - "$dir/out" <<'PY' || fail "error record: $(cat "$dir/out")"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["job"] == "job1" and r["attempts"] == 3, r
assert r["error"] == "exit 7" and "no good" in r["stderr"], r
PY
expect 0 g make slow -c 10
expect 0 g spawn --name slow --from slow --retries 0 --timeout 200ms \
	sleep 30
expect 0 g send slow x
expect 0 g close slow
expect 1 g wait slow -t 10s
expect 0 g recv slow.errors -a
grep -q '"error":"timed out"' "$dir/out" || fail "timeout record"
# An output channel closed under a pool: each job is reported, once, in
# both modes (no retry can help), and the daemon carries on.
for mode in message stream; do
	flag=; [ "$mode" = stream ] && flag=--stream
	expect 0 g make "$mode-in" -c 10
	expect 0 g make "$mode-out" -c 10
	expect 0 g close "$mode-out"
	expect 0 g spawn $flag --name "$mode-shut" --from "$mode-in" \
		--to "$mode-out" sh -c 'while read x; do echo "$x"; done'
	printf 'a\nb\n' | g send "$mode-in"
	expect 0 g close "$mode-in"
	expect 1 g wait "$mode-shut" -t 10s
	grep -q "2 of 2 jobs failed" "$dir/err" || fail "$mode: $(cat "$dir/err")"
	expect 0 g recv "$mode-shut.errors" -a
	[ "$(grep -c '"attempts":1,"error":"the output channel is closed"' \
	    "$dir/out")" = 2 ] || fail "$mode closed output: $(cat "$dir/out")"
done
expect 0 g ping

# --- a worker killed mid-job: its job runs again, once ------------------------
expect 0 g make k -c 10
expect 0 g make k-out -c 10
expect 0 g spawn -n 2 --name killed --from k --to k-out \
	sh -c 'sleep 0.5; echo "$GOCSP_MSG"'
expect 0 g send k a b
for _ in $(seq 100); do [ "$(children)" = 2 ] && break; sleep 0.02; done
kill -9 "$(pgrep -P "$daemon" | head -1)"
expect 0 g close k
expect 0 g wait killed
expect 0 g recv k-out -a
[ "$(sort "$dir/out" | tr '\n' ' ')" = "a b " ] ||
	fail "killed worker: $(tr '\n' ' ' <"$dir/out")"
expect 0 g ps --json
grep '"name":"killed"' "$dir/out" | grep -q '"retried":1' ||
	fail "the killed job counts one retry"

# --- wait with several feeding processes -------------------------------------
expect 0 g make fed -c 1000
expect 0 g make fed-out -c 1000
expect 0 g wg add feeders 3
expect 0 g spawn -n 2 --name fed --from fed --to fed-out cat
for f in 1 2 3; do
	( seq 1 50 | sed "s/^/$f-/" | g send fed; g wg done feeders ) &
done
expect 0 g wg wait feeders -t 20s
wait $(jobs -p | grep -v "^$daemon\$") 2>/dev/null
expect 0 g close fed
expect 0 g wait fed --no-progress
[ ! -s "$dir/err" ] || fail "wait --no-progress wrote: $(cat "$dir/err")"
expect 0 g recv fed-out -a
[ "$(wc -l <"$dir/out")" = 150 ] || fail "fed: $(wc -l <"$dir/out") values"
[ "$(sort -u "$dir/out" | wc -l)" = 150 ] || fail "fed: repeats"

# Off a terminal, wait stays quiet; --progress draws the line anyway.
expect 0 g make p -c 10
expect 0 g spawn --name prog --from p cat
expect 0 g close p
expect 0 g wait prog
[ ! -s "$dir/err" ] || fail "wait off a terminal wrote: $(cat "$dir/err")"
expect 0 g make p2 -c 10
expect 0 g spawn --name prog2 --from p2 sh -c 'sleep 0.3; cat'
expect 0 g send p2 x
( sleep 0.5; g close p2 ) &
expect 0 g wait prog2 --progress
grep -q "prog2: .*jobs" "$dir/err" || fail "no progress line: $(cat "$dir/err")"

# --- wait groups --------------------------------------------------------------
expect 0 g wg wait nothing -t 100ms     # zero: returns at once
expect 0 g wg add w 2
expect 4 g wg wait w -t 100ms
expect 0 g wg done w
expect 0 g wg done w
expect 0 g wg wait w -t 1s
expect 1 g wg done w
grep -q "would go below zero" "$dir/err" || fail "negative wait group"
expect 2 g wg add w many

# --- who may spawn, kill, limits ----------------------------------------------
expect 1 g -u "tcp://127.0.0.1:$port" spawn --from jobs cat
grep -q "over the network" "$dir/err" || fail "tcp spawn: $(cat "$dir/err")"
expect 0 g -u "tcp://127.0.0.1:$port" ps
expect 1 g spawn --from nochan cat
expect 1 g spawn --from squares no-such-command-here
grep -q "command not found" "$dir/err" || fail "missing command"
expect 0 g make forever -c 10
expect 0 g spawn -n 8 --name big --from forever cat
expect 1 g spawn --from forever cat
grep -q -- "--max-workers" "$dir/err" || fail "--max-workers: $(cat "$dir/err")"
expect 1 g spawn --name big --from forever cat
grep -q "is running" "$dir/err" || fail "EEXIST"
expect 0 g send forever kept
expect 0 g kill big
expect 1 g wait big -t 5s
grep -q "was killed" "$dir/err" || fail "wait on a killed pool"
expect 0 g kill big               # forgotten now
expect 1 g kill big

# --- no zombie, no descriptor left after 1000 jobs ----------------------------
before=$(fds)
expect 0 g make many -c 1000
expect 0 g spawn -n 4 --name many --from many true
seq 1 1000 | g send many
expect 0 g close many
expect 0 g wait many
expect 0 g ps --json
grep '"name":"many"' "$dir/out" | grep -q '"done":1000' || fail "1000 jobs"
[ "$(children)" = 0 ] || fail "$(children) children left"
zombies=$(ps -o stat= --ppid "$daemon" | grep -c Z || true)
[ "$zombies" = 0 ] || fail "$zombies zombies"
# The connections of the commands above close a moment after they exit.
for _ in $(seq 60); do
	after=$(fds)
	[ "$after" -le "$before" ] && break
	sleep 0.05
done
[ "$after" -le "$before" ] ||
	fail "descriptors: $before before 1000 jobs, $after after"

stop_daemon
finish
