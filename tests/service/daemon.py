"""A real gocspd for the service tests, on a socket in a temporary
directory, stopped by pid (the Python twin of tests/daemon/harness.h).

stop() sends SIGTERM and returns gocspd's exit status; a test fails unless
it is 0, which is how a crash or a sanitizer report in the daemon fails it.
"""
import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


_started = []


@atexit.register
def _kill_leftovers():
    """A test that dies of an exception takes its daemons along."""
    for d in _started:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
        shutil.rmtree(d.dir, ignore_errors=True)


class Daemon:
    def __init__(self, args=(), env=None, watchdog_pid_self=False):
        """Start $GOCSPD -u ipc://DIR/gocspd.sock ARGS with env added to
        the environment.  watchdog_pid_self: WATCHDOG_PID is gocspd's own
        pid, as systemd sets it (a shell execs gocspd to know it)."""
        self.bin = os.environ["GOCSPD"]
        self.cli = os.environ["GOCSP"]
        self.dir = tempfile.mkdtemp(prefix="gocsp-svc.")
        self.path = os.path.join(self.dir, "gocspd.sock")
        self.url = "ipc://" + self.path
        self.log = os.path.join(self.dir, "gocspd.log")
        e = dict(os.environ)
        e.pop("GOCSP_URL", None)
        e.update(env or {})
        argv = [self.bin, "-u", self.url] + list(args)
        if watchdog_pid_self:
            argv = ["sh", "-c", 'WATCHDOG_PID=$$ exec "$0" "$@"'] + argv
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(argv, env=e, stderr=log,
                                         stdin=subprocess.DEVNULL)
        _started.append(self)

    def gocsp(self, *args, check=True, stdin=None):
        """Run the gocsp command on this daemon; its CompletedProcess."""
        r = subprocess.run([self.cli, "-u", self.url] + list(args),
                           input=stdin, capture_output=True, text=True,
                           timeout=60)
        if check and r.returncode != 0:
            fail("gocsp %s: exit %d: %s" % (" ".join(args), r.returncode,
                                             r.stderr.strip()), self)
        return r

    def wait_ready(self, timeout=30):
        """Wait until a ping is answered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail("gocspd exited at start (%d)" % self.proc.returncode,
                     self)
            if self.gocsp("ping", check=False).returncode == 0:
                return
            time.sleep(0.05)
        fail("gocspd did not answer at " + self.url, self)

    def logged(self, needle):
        with open(self.log, errors="replace") as f:
            return needle in f.read()

    def show_log(self):
        with open(self.log, errors="replace") as f:
            for line in f:
                sys.stderr.write("  gocspd: " + line)

    def stop(self):
        """SIGTERM, wait; gocspd's exit status (-9 if it had to be
        killed).  Removes the directory."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        if rc != 0:
            self.show_log()
        shutil.rmtree(self.dir, ignore_errors=True)
        return rc


def fail(msg, daemon=None):
    """Fail the test: the message, the daemon's log, exit 1."""
    sys.stderr.write("FAIL: %s\n" % msg)
    if daemon is not None:
        daemon.show_log()
        if daemon.proc.poll() is None:
            daemon.proc.kill()
    sys.exit(1)


def check(cond, msg, daemon=None):
    if not cond:
        fail(msg, daemon)
