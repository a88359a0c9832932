"""gocspd under a service manager's notify protocol (sd_notify(3)): a
socket stands in for systemd's and reads what gocspd sends.

- READY=1 comes once the listener answers, then WATCHDOG=1 twice per
  WATCHDOG_USEC (more often than --probe-interval), STOPPING=1 on SIGTERM;
- no WATCHDOG=1 while the listener is broken, again once it is repaired;
- WATCHDOG_PID naming another process: READY=1 but no WATCHDOG=1;
- an abstract socket address (@name) works.

usage: notify.py    (ctest sets GOCSPD and GOCSP)
"""
import os
import signal
import socket
import tempfile
import time

from daemon import Daemon, check, fail

WATCHDOG_USEC = 600000  # pings every 0.3 s


class Manager:
    """The service manager's end: a datagram socket gocspd sends to."""

    def __init__(self, directory, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "gocsp-test-%d" % os.getpid()
            self.sock.bind("\0" + name)
            self.address = "@" + name
        else:
            self.address = os.path.join(directory, "notify.sock")
            self.sock.bind(self.address)

    def env(self, watchdog_pid=None):
        e = {"NOTIFY_SOCKET": self.address,
             "WATCHDOG_USEC": str(WATCHDOG_USEC)}
        if watchdog_pid is not None:
            e["WATCHDOG_PID"] = str(watchdog_pid)
        return e

    def next(self, timeout):
        """The next notification as a set of lines, or None on timeout."""
        self.sock.settimeout(timeout)
        try:
            return set(self.sock.recv(4096).decode().split("\n"))
        except socket.timeout:
            return None

    def wait_for(self, line, timeout, d):
        """Wait for a notification holding line; the time it came."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.next(deadline - time.monotonic())
            if got is not None and line in got:
                return time.monotonic()
        fail("no %s within %g s" % (line, timeout), d)

    def pings(self, seconds):
        """WATCHDOG=1 notifications in the next seconds."""
        n = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            got = self.next(deadline - time.monotonic())
            if got is not None and "WATCHDOG=1" in got:
                n += 1
        return n


def start(env, **kw):
    # A probe interval far above the watchdog's: pings must still come
    # at its pace.
    return Daemon(["--probe-interval", "60s"], env=env, **kw)


def test_ready_watchdog_stopping(tmp):
    mgr = Manager(tmp)
    d = start(mgr.env(), watchdog_pid_self=True)
    got = mgr.next(30)
    check(got is not None and "READY=1" in got,
          "first notification %r, not READY=1" % (got,), d)
    # READY=1 means the listener is up: a client is answered at once.
    r = d.gocsp("ping", check=False)
    check(r.returncode == 0, "ping right after READY=1: %s" % r.stderr, d)
    n = mgr.pings(1.5)
    check(n >= 3, "%d WATCHDOG=1 in 1.5 s, want >= 3 (every 0.3 s)" % n, d)

    # A directory where the socket was: re-listening fails, so does every
    # round, and the pings stop; they come back once it is repaired.
    os.unlink(d.path)
    os.mkdir(d.path)
    time.sleep(0.8)   # the round that notices it, and pings sent before
    while mgr.next(0.01) is not None:
        pass
    n = mgr.pings(1.5)
    check(n == 0, "%d WATCHDOG=1 while the listener is broken" % n, d)
    check(d.logged("listening again"), "the broken listener not logged", d)
    os.rmdir(d.path)
    mgr.wait_for("WATCHDOG=1", 10, d)
    check(d.gocsp("ping", check=False).returncode == 0,
          "no ping answered once repaired", d)

    d.proc.send_signal(signal.SIGTERM)
    mgr.wait_for("STOPPING=1", 30, d)
    check(d.stop() == 0, "gocspd did not exit 0")


def test_watchdog_pid_elsewhere(tmp):
    mgr = Manager(tmp)
    d = start(mgr.env(watchdog_pid=1))
    mgr.wait_for("READY=1", 30, d)
    n = mgr.pings(1.2)
    check(n == 0, "%d WATCHDOG=1 though WATCHDOG_PID is not gocspd" % n, d)
    check(d.stop() == 0, "gocspd did not exit 0")


def test_abstract_socket(tmp):
    mgr = Manager(tmp, abstract=True)
    d = start(mgr.env(), watchdog_pid_self=True)
    mgr.wait_for("READY=1", 30, d)
    mgr.wait_for("WATCHDOG=1", 10, d)
    check(d.stop() == 0, "gocspd did not exit 0")


def main():
    for test in (test_ready_watchdog_stopping, test_watchdog_pid_elsewhere,
                 test_abstract_socket):
        with tempfile.TemporaryDirectory(prefix="gocsp-notify.") as tmp:
            print("==", test.__name__, flush=True)
            test(tmp)
    print("ok")


if __name__ == "__main__":
    main()
