"""make load: the journeys of loadtests/locustfile.py against a running suite, headless.

  1. a stack answers at LOAD_HOST (default http://127.0.0.1:<port of stack "load">)? else start
     the stack "load" (own vhost, databases, ports; stopped again at the end)
  2. loadtests/datagen.py when the Banan-scale data is not there yet; then, on its own stack,
     wait until the machine is quiet (LOAD_SETTLE_SECONDS, 180 at most): a stack just started
     does its start-up work (the outbox's full sweep, migrations: tens of seconds of database
     scans at Banan scale) and a run measured over it measures the start, not the load
  3. locust (.venv-load, a subprocess: gevent never shares a process with eventlet) with
     LOAD_USERS users (20) for LOAD_SECONDS (60); a progress line while it runs
  4. CSV + HTML reports and journeys.json under results/load-<time>/, a summary per journey,
     exit 1 when loadtests/thresholds.yml is breached
"""
import warnings
warnings.filterwarnings("ignore", message=r"(?s).*(Eventlet is deprecated|pkg_resources)")
import eventlet  # noqa: E402
eventlet.monkey_patch()  # noqa: E402

import csv  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import requests  # noqa: E402
import yaml  # noqa: E402

from tools.stack import PY, ROOT, Stack  # noqa: E402

LOCUST = os.path.join(ROOT, ".venv-load", "bin", "locust")
# every locust user logs in from 127.0.0.1: the per-address login limit would cut the run off
# what the load and bench stacks change from a test stack: the per-address login/binding limits
# are for the public internet, not for a load generator (one address); and the wall clock, as in
# production (the tests' movable clock checks its offset file on every reading of the time:
# a fifth of the gateway's own time in a profile of the read benchmark)
LOAD_ENV = {"RATE_LIMITS": '{"login": {"limit": 1000000}, "identity": {"limit": 1000000}}',
            "CLOCK_OFFSET_FILE": ""}


def busy_share(seconds=5):
    """The share of all cores' time spent outside idle/iowait over ``seconds``."""
    def sample():
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
        return sum(ticks), ticks[3] + ticks[4]
    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


def settle(limit, quiet=0.25):
    started = time.time()
    while time.time() - started < limit:
        share = busy_share()
        print("load: waiting for the stack to settle: machine %.0f%% busy (%ds)"
              % (share * 100, time.time() - started), flush=True)
        if share < quiet:
            return
    print("load: still busy after %ds, starting anyway" % limit)


def answers(url):
    try:
        return requests.get(url + "/healthz", timeout=3).status_code == 200
    except requests.RequestException:
        return False


def ensure_staff(stack):
    from nameko.standalone.rpc import ClusterRpcProxy
    from tools.seed_demo import demo_staff
    with ClusterRpcProxy({"AMQP_URI": stack.env()["AMQP_URI"]}, timeout=60) as rpc:
        rpc.identity.ensure_staff(demo_staff(os.environ.get("DEMO_STAFF_PASSWORD", "demo12345")))


def last_history(path):
    try:
        with open(path) as f:
            rows = [r for r in csv.DictReader(f) if r.get("Name") == "Aggregated"]
        return rows[-1] if rows else None
    except (OSError, csv.Error):
        return None


def run_locust(host, users, seconds, out):
    prefix = os.path.join(out, "load")
    env = dict(os.environ, LOAD_JOURNEYS_OUT=os.path.join(out, "journeys.json"))
    cmd = [LOCUST, "-f", os.path.join(ROOT, "loadtests", "locustfile.py"), "--headless",
           "-u", str(users), "-r", str(max(1, users // 5)), "-t", "%ds" % seconds, "-H", host,
           "--csv", prefix, "--html", os.path.join(out, "report.html"), "--only-summary",
           "--exit-code-on-error", "0", "--stop-timeout", "10"]
    with open(os.path.join(out, "locust.log"), "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started = time.time()
        while proc.poll() is None:
            time.sleep(2)
            row = last_history(prefix + "_stats_history.csv")
            if row:
                sys.stdout.write("\r  load: %3ds/%ds  users %3s  requests %6s  failures %4s  "
                                 "%6s req/s  p95 %5s ms   " % (
                                     time.time() - started, seconds, row["User Count"],
                                     row["Total Request Count"], row["Total Failure Count"],
                                     row["Requests/s"], row["95%"]))
                sys.stdout.flush()
        print()
    if proc.returncode != 0:
        raise SystemExit("locust exited with %s: see %s/locust.log" % (proc.returncode, out))
    with open(os.path.join(out, "journeys.json")) as f:
        return json.load(f)


def check(journeys, limits):
    breaches = []
    ratio_limit = float(limits.get("failure_ratio", 0.005))
    total = sum(j["requests"] for j in journeys.values())
    failed = sum(j["failures"] for j in journeys.values())
    print("\n  %-16s %9s %8s %8s %8s %8s %9s" % ("journey", "requests", "fail %", "p50 ms",
                                                 "p95 ms", "p99 ms", "p95 limit"))
    for name in sorted(journeys):
        j = journeys[name]
        ratio = j["failures"] / max(j["requests"], 1)
        p95_limit = (limits.get("p95_ms") or {}).get(name)
        flag = ""
        if ratio > ratio_limit:
            breaches.append("%s: failure ratio %.2f%% > %.2f%%" % (name, ratio * 100,
                                                                   ratio_limit * 100))
            flag = "  <- failures"
        if p95_limit is not None and j["p95_ms"] > p95_limit:
            breaches.append("%s: p95 %s ms > %s ms" % (name, j["p95_ms"], p95_limit))
            flag += "  <- p95"
        print("  %-16s %9d %8.2f %8s %8s %8s %9s%s" % (name, j["requests"], ratio * 100,
                                                       j["p50_ms"], j["p95_ms"], j["p99_ms"],
                                                       p95_limit or "-", flag))
    ratio = failed / max(total, 1)
    print("  %-16s %9d %8.2f" % ("all", total, ratio * 100))
    if ratio > ratio_limit:
        breaches.append("whole run: failure ratio %.2f%% > %.2f%%" % (ratio * 100,
                                                                      ratio_limit * 100))
    return breaches


def main():
    users = int(os.environ.get("LOAD_USERS") or 20)
    seconds = int(os.environ.get("LOAD_SECONDS") or 60)
    stack = Stack("load", replicas=int(os.environ.get("REPLICAS") or 1), extra_env=LOAD_ENV)
    host = (os.environ.get("LOAD_HOST") or stack.url).rstrip("/")
    out = os.path.join(ROOT, "results", "load-" + dt.datetime.now().strftime("%Y%m%d-%H%M%S"))
    os.makedirs(out, exist_ok=True)
    started_here = False
    try:
        if not answers(host):
            if os.environ.get("LOAD_HOST"):
                raise SystemExit("nothing answers at LOAD_HOST=%s" % host)
            print("load: starting the stack \"load\" at %s ..." % host)
            stack.ensure_infra()
            stack.start()
            started_here = True
        if host == stack.url:
            ensure_staff(stack)
            subprocess.run([PY, "-m", "loadtests.datagen", "--stack", "load", "--url", host],
                           cwd=ROOT, env=stack.env(), check=True)
            settle(int(os.environ.get("LOAD_SETTLE_SECONDS") or 180))
        print("load: %d users for %ds against %s (reports in %s)" % (users, seconds, host, out))
        journeys = run_locust(host, users, seconds, out)
    finally:
        if started_here:
            stack.stop()
    with open(os.path.join(ROOT, "loadtests", "thresholds.yml")) as f:
        limits = yaml.safe_load(f)
    breaches = check(journeys, limits)
    print("\n  reports: %s/report.html, %s/load_stats.csv" % (out, out))
    if breaches:
        print("\nload: THRESHOLDS BREACHED\n  " + "\n  ".join(breaches))
        sys.exit(1)
    print("\nload: all thresholds met")


if __name__ == "__main__":
    main()
