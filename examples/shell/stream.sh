#!/usr/bin/env bash
# Stream mode: two long-lived Python workers (a process each for the
# whole stream, started once: what makes stream mode fast) factor the
# values handed to them as lines, one answer line per question line.  A
# stream worker must answer each line at once: python -u, sed -u, awk
# with fflush() (and mawk -W interactive to read line by line), stdbuf
# -oL for programs that use stdio; coreutils factor, for one, reads all
# its input before it answers.  A worker that dies is replaced and its job
# runs again on the new one.
#
# usage: examples/shell/stream.sh   (gocsp on PATH, gocspd at $GOCSP_URL)
set -euo pipefail

gocsp make numbers -c 1000
gocsp make factors -c 1000
gocsp spawn -n 2 --stream --name factor --from numbers --to factors \
	python3 -u -c '
import sys
for line in sys.stdin:
    n, d, fs = int(line), 2, []
    while d * d <= n:
        while n % d == 0:
            fs.append(d)
            n //= d
        d += 1
    print(line.strip() + ":", *(fs + ([n] if n > 1 else [])))' >/dev/null
seq 999000 999999 | gocsp send numbers
gocsp close numbers
gocsp wait factor
out=$(gocsp recv factors -a)
echo "$(printf '%s\n' "$out" | wc -l) numbers factored; the primes among them:"
printf '%s\n' "$out" | awk 'NF == 2 { printf " %s", $2 } END { print "" }'
gocsp ps
for c in numbers factors factor.errors; do gocsp rm "$c"; done
