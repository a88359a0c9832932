#!/usr/bin/env bash
# Retries and the errors channel: a flaky job fails on its first attempt
# and succeeds on the next; a broken one fails every time and ends up, as
# a JSON object, on channel "flaky.errors" for the script to read.
#
# usage: examples/shell/retry.sh   (gocsp on PATH, gocspd at $GOCSP_URL)
set -uo pipefail

gocsp make tasks -c 16
gocsp make results -c 16

# $GOCSP_ATTEMPT counts from 0: attempt 0 of "flaky" fails.
gocsp spawn --name flaky --from tasks --to results --retries 2 \
	sh -c 'case $GOCSP_MSG in
	       flaky) [ "$GOCSP_ATTEMPT" -gt 0 ] || exit 1 ;;
	       broken) echo "cannot do $GOCSP_MSG" >&2; exit 3 ;;
	       esac
	       echo "$GOCSP_MSG done on attempt $GOCSP_ATTEMPT"' >/dev/null

gocsp send tasks fine flaky broken
gocsp close tasks
gocsp wait flaky --no-progress || echo "(gocsp wait exits 1 when jobs failed)"
echo "results:"
gocsp recv results -a | sed 's/^/  /'
echo "errors:"
gocsp recv flaky.errors -a | sed 's/^/  /'
gocsp ps
for c in tasks results flaky.errors; do gocsp rm "$c"; done
