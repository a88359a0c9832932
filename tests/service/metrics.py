"""gocspd --metrics and `gocsp stat --prometheus`, read with a real
Prometheus text-format parser (Debian's python3-prometheus-client):

- /metrics answers with format 0.0.4, every family has HELP and TYPE,
  counters are counters, and the values are the daemon's (3 sent, 1
  received, 2 buffered, a blocked receiver, a pool's 2 jobs done...);
- `gocsp stat --prometheus` shows the same families and samples;
- label values with quotes, backslashes and newlines survive (the writer's
  output for made-up names, prometheus_sample);
- a bad --metrics URL or a port in use stops gocspd with exit 1.

usage: metrics.py    (ctest sets GOCSPD, GOCSP and PROMETHEUS_SAMPLE)
"""
import os
import re
import subprocess
import sys
import time
import urllib.request

from daemon import Daemon, check, fail

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    fail("%s has no prometheus_client: install python3-prometheus-client "
         "(make deps)" % sys.executable)


def samples(text):
    """{(sample name, sorted labels): value} and {family: (type, help)}."""
    values, families = {}, {}
    for fam in text_string_to_metric_families(text):
        check(fam.documentation, "family %s has no HELP" % fam.name)
        families[fam.name] = (fam.type, fam.documentation)
        for s in fam.samples:
            values[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return values, families


def value(values, name, **labels):
    key = (name, tuple(sorted(labels.items())))
    if key not in values:
        fail("no sample %s%s" % (name, labels))
    return values[key]


def scrape(port):
    with urllib.request.urlopen(
            "http://127.0.0.1:%d/metrics" % port, timeout=30) as r:
        check(r.status == 200, "GET /metrics: %d" % r.status)
        ctype = r.headers["Content-Type"]
        check(ctype == "text/plain; version=0.0.4; charset=utf-8",
              "Content-Type: %s" % ctype)
        return r.read().decode()


def metrics_port(d):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(d.log) as f:
            m = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics",
                          f.read())
        if m:
            return int(m.group(1))
        time.sleep(0.05)
    fail("gocspd did not log its metrics address", d)


def wait_until(cond, what, d):
    deadline = time.monotonic() + 30
    while not cond():
        if time.monotonic() > deadline:
            fail("timed out waiting for " + what, d)
        time.sleep(0.05)


def test_scrape():
    d = Daemon(["--metrics", "http://127.0.0.1:0"])
    d.wait_ready()
    port = metrics_port(d)

    d.gocsp("make", "jobs", "-c", "10")
    d.gocsp("send", "jobs", "a", "b", "c")
    d.gocsp("recv", "jobs")
    d.gocsp("make", "odd/name:x@y+z", "-c", "1")
    d.gocsp("make", "rendezvous")
    receiver = subprocess.Popen([d.cli, "-u", d.url, "recv", "rendezvous",
                                 "-t", "60s"], stdout=subprocess.DEVNULL)
    d.gocsp("make", "in", "-c", "4")
    d.gocsp("make", "out", "-c", "4")
    d.gocsp("spawn", "--name", "cat", "--from", "in", "--to", "out",
            "--", "cat")
    d.gocsp("send", "in", "x", "y")
    d.gocsp("close", "in")
    d.gocsp("wait", "cat", "--no-progress")

    wait_until(lambda: value(samples(scrape(port))[0],
                             "gocsp_channel_recv_waiting",
                             channel="rendezvous") == 1,
               "the blocked receiver to show", d)
    text = scrape(port)
    values, families = samples(text)

    check(value(values, "gocsp_channel_sent_total", channel="jobs") == 3,
          "jobs: sent != 3", d)
    check(value(values, "gocsp_channel_received_total", channel="jobs") == 1,
          "jobs: received != 1", d)
    check(value(values, "gocsp_channel_length", channel="jobs") == 2,
          "jobs: length != 2", d)
    check(value(values, "gocsp_channel_capacity", channel="jobs") == 10,
          "jobs: capacity != 10", d)
    check(value(values, "gocsp_channel_closed", channel="in") == 1,
          "in: not closed", d)
    check(value(values, "gocsp_channel_length", channel="out") == 2,
          "out: the pool's 2 outputs are not there", d)
    check(value(values, "gocsp_channel_capacity",
                channel="odd/name:x@y+z") == 1, "odd/name:x@y+z", d)
    check(value(values, "gocsp_pool_done_total", pool="cat") == 2,
          "pool cat: done != 2", d)
    check(value(values, "gocsp_pool_failed_total", pool="cat") == 0,
          "pool cat: failed != 0", d)
    check(value(values, "gocsp_pool_workers", pool="cat") == 1,
          "pool cat: workers != 1", d)
    check(value(values, "gocsp_pool_info", pool="cat", to="out",
                state="finished", **{"from": "in"}) == 1,
          "pool cat: info labels", d)
    check(value(values, "gocsp_channels") == 6,  # with cat.errors
          "gocsp_channels != 6", d)
    check(value(values, "gocsp_clients") >= 1, "no client counted", d)
    check(value(values, "gocsp_coroutines") >= 1, "no coroutine", d)
    check(value(values, "gocsp_maxprocs") >= 1, "no worker thread", d)
    check(value(values, "gocsp_requests_total") > 10, "requests", d)
    check(any(k[0] == "gocsp_info" for k in values), "no gocsp_info", d)

    for fam, (typ, _) in families.items():
        counter = fam in ("gocsp_requests", "gocsp_channel_sent",
                          "gocsp_channel_received",
                          "gocsp_channel_redelivered", "gocsp_pool_done",
                          "gocsp_pool_failed", "gocsp_pool_retried")
        check(typ == ("counter" if counter else "gauge"),
              "%s is a %s" % (fam, typ), d)
    check(len(families) == 23, "%d families, want 23: %s" %
          (len(families), sorted(families)), d)

    # The command prints the same families and samples; the channels' and
    # pools' values too (nothing moves now).
    cli_values, cli_families = samples(d.gocsp("stat", "--prometheus").stdout)
    check(cli_families == families, "stat --prometheus families differ:\n"
          "%s\n%s" % (sorted(cli_families), sorted(families)), d)
    check(set(cli_values) == set(values),
          "stat --prometheus samples differ: %s" %
          (set(cli_values) ^ set(values)), d)
    for key, v in values.items():
        if key[0].startswith(("gocsp_channel_", "gocsp_pool_")):
            check(cli_values[key] == v, "%s: %s != %s" %
                  (key, cli_values[key], v), d)

    receiver.kill()
    receiver.wait()
    check(d.stop() == 0, "gocspd did not exit 0")


def test_escaping():
    text = subprocess.run([os.environ["PROMETHEUS_SAMPLE"]], check=True,
                          capture_output=True, text=True).stdout
    values, _ = samples(text)
    value(values, "gocsp_info", version='0.1.0"\\\n')
    check(value(values, "gocsp_channel_sent_total",
                channel='quote" backslash\\ newline\n end') == 3,
          "an escaped channel name")
    check(value(values, "gocsp_pool_info", pool='p\\"\n', to="",
                state="running", **{"from": 'in"'}) == 1,
          "escaped pool labels")


def test_bad_metrics_url():
    for url in ("ftp://127.0.0.1:1", "127.0.0.1:9464"):
        d = Daemon(["--metrics", url])
        rc = d.proc.wait(30)
        check(rc == 1, "--metrics %s: exit %d, want 1" % (url, rc), d)
        check(d.logged("--metrics"), "--metrics %s not explained" % url, d)
        d.stop()
    # A port in use.
    first = Daemon(["--metrics", "http://127.0.0.1:0"])
    first.wait_ready()
    port = metrics_port(first)
    second = Daemon(["--metrics", "http://127.0.0.1:%d" % port])
    rc = second.proc.wait(30)
    check(rc == 1, "a port in use: exit %d, want 1" % rc, second)
    second.stop()
    check(first.stop() == 0, "gocspd did not exit 0")


def main():
    for test in (test_scrape, test_escaping, test_bad_metrics_url):
        print("==", test.__name__, flush=True)
        test()
    print("ok")


if __name__ == "__main__":
    main()
