#!/usr/bin/env bash
# A fan-out/fan-in pipeline of two pools: the words of a text go to a pool
# that runs a process per word (fan-out), their lengths to a second pool
# of long-lived workers that names each length, and one collector counts
# the names (fan-in).  Each stage closes the next one's input when it is
# over: gocsp wait is Go's WaitGroup-then-close.
#
# usage: examples/shell/pipeline.sh   (gocsp on PATH, gocspd at $GOCSP_URL)
set -euo pipefail

for c in words lengths sizes; do gocsp make "$c" -c 256; done

gocsp spawn -n 3 --name measure --from words --to lengths \
	sh -c 'printf %s "$GOCSP_MSG" | wc -c' >/dev/null
gocsp spawn -n 2 --stream --name name --from lengths --to sizes \
	sh -c 'while read n; do
	           if [ "$n" -lt 4 ]; then echo short
	           elif [ "$n" -lt 8 ]; then echo medium
	           else echo long; fi
	       done' >/dev/null

text="the quick brown fox jumps over the lazy dog while an extraordinarily
patient hedgehog contemplates thermodynamics under a gigantic sycamore"
( printf '%s\n' $text | gocsp send words && gocsp close words ) &

# Stage one over, its wait closes its output: stage two's input.
gocsp wait measure &
gocsp recv sizes -a | sort | uniq -c &
collector=$!
gocsp wait name       # closes "sizes": the collector ends
wait "$collector"
wait
for c in words lengths sizes measure.errors name.errors; do gocsp rm "$c"; done
