#!/usr/bin/env python3
"""Run a command and write the CPU time it used to a file.

usage: cputime.py FILE COMMAND [ARG...]

Runs COMMAND as a child, passes SIGTERM and SIGINT on to it, waits for it
and writes its CPU time in seconds, user plus system, of all its threads
and of the children it waited for (wait4's rusage), as one number on one
line of FILE.  Exits with the command's status.  echo.sh measures the
servers with it: the load generator shares the CPUs, so a server's own
CPU per request compares two servers where requests per second mostly
measures the client.
"""
import os
import signal
import sys

if len(sys.argv) < 3:
    sys.exit(__doc__.split("\n\n")[1])
out, cmd = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    except OSError as e:
        print(f"cputime.py: {cmd[0]}: {e.strerror}", file=sys.stderr)
    os._exit(127)
for sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(sig, lambda s, _frame: os.kill(pid, s))
_, status, ru = os.wait4(pid, 0)
with open(out, "w") as f:
    f.write(f"{ru.ru_utime + ru.ru_stime:.6f}\n")
sys.exit(os.waitstatus_to_exitcode(status))
