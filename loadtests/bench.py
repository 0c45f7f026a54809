"""make bench: how close the suite runs to what this machine allows, in one run.

  1. bare nameko RPC round trip over RabbitMQ (an echo service): the ceiling of any gateway call,
     publishing as the suite does, and again with nameko's default publishing
  2. the gateway end to end: an authenticated read and an authenticated write (locust, same
     concurrency), and their ratio to (1)
  3. extra scenarios registered in loadtests/scenarios.py (booking race, payout batch) when
     the services they need are present
  the bare RPC and the read alternate in --rounds rounds (default 3) and the median round's
  ratio is reported; (1) and (2) run once per replica count of --replicas (default 1,2: what a second process of
  every service and of the gateway changes); --only picks parts (edge, booking_race, ...)

A stack named "bench" is started for the run (own vhost, databases, ports) and stopped after.
Figures are printed and written to results/bench-<time>.json; docs/benchmarks.md records them.
"""
import warnings
warnings.filterwarnings("ignore", message=r"(?s).*(Eventlet is deprecated|pkg_resources)")
import eventlet  # noqa: E402
eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
import csv  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from nameko.rpc import ServiceProxy  # noqa: E402
from nameko.standalone.rpc import ClusterProxy, ClusterRpcProxy  # noqa: E402

from loadtests.run_load import LOAD_ENV  # noqa: E402
from services.common.rpc import RPC_PUBLISH  # noqa: E402

from tools.stack import ROOT, Stack  # noqa: E402

LOCUST = os.path.join(ROOT, ".venv-load", "bin", "locust")
PYSPY = os.path.join(ROOT, ".venv-load", "bin", "py-spy")
OURS = re.compile(r"\((gateway|services|miniprogram_api)/")  # py-spy names files by module path


def cpu_ms():
    """CPU milliseconds used so far by every process on the machine, summed per kind: each
    nameko service by class, rabbitmq, ferretdb, this process (the bare-RPC clients) and its
    finished children (locust)."""
    tick, out = os.sysconf("SC_CLK_TCK"), {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().decode(errors="replace").split("\0")
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if pid == str(os.getpid()):
            continue
        text = " ".join(cmd)
        kind = ("nameko " + cmd[-2].rsplit(":", 1)[-1] if "nameko" in text and " run " in text
                else "rabbitmq" if "beam" in text else "ferretdb" if "ferretdb" in text else None)
        if kind:
            out[kind] = out.get(kind, 0) + (int(fields[11]) + int(fields[12])) * 1000 / tick
    for who, label in ((resource.RUSAGE_SELF, "bench clients"), (resource.RUSAGE_CHILDREN, "locust")):
        usage = resource.getrusage(who)
        out[label] = (usage.ru_utime + usage.ru_stime) * 1000
    return out


def cpu_per_request(before, after, requests):
    """Where each request's CPU went: ms per request by process kind (0.01 ms and up)."""
    per = {k: (after.get(k, 0) - before.get(k, 0)) / max(requests, 1) for k in after}
    return {k: round(v, 3) for k, v in sorted(per.items(), key=lambda kv: -kv[1]) if v >= 0.01}


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))] if values else 0


class _Proxies(ClusterProxy):
    """A standalone client's proxies publishing as the services do (RPC_PUBLISH)."""

    def __getattr__(self, name):
        if name not in self._proxies:
            self._proxies[name] = ServiceProxy(self._worker_ctx, name, self._reply_listener,
                                               **RPC_PUBLISH)
        return self._proxies[name]


def bare_rpc(amqp_uri, users, seconds, nameko_defaults=False):
    """``users`` greenlets, each with its own proxy, calling ping back to back: on ``echo``
    as the suite publishes (RPC_PUBLISH), or on ``echo_default`` with nameko's defaults."""
    latencies, stop_at = [], time.time() + seconds
    service = "echo_default" if nameko_defaults else "echo"

    def client():
        client = ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10)
        if not nameko_defaults:
            client._proxy = _Proxies(client._worker_ctx, client._reply_listener)
        with client as rpc:
            rpc[service].ping("warm")
            while time.time() < stop_at:
                t = time.perf_counter()
                rpc[service].ping("x" * 60)
                latencies.append((time.perf_counter() - t) * 1000)
    started = time.time()
    pool = [eventlet.spawn(client) for _ in range(users)]
    for g in pool:
        g.wait()
    elapsed = time.time() - started
    return {"requests": len(latencies), "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
            "p99_ms": round(percentile(latencies, 99), 1)}


def locust_run(host, user_class, users, seconds, out_dir):
    prefix = os.path.join(out_dir, user_class)
    subprocess.run([LOCUST, "-f", os.path.join(ROOT, "loadtests", "bench_gateway.py"), user_class,
                    "--headless", "-u", str(users), "-r", str(users), "-t", "%ds" % seconds,
                    "-H", host, "--csv", prefix, "--only-summary", "--exit-code-on-error", "0"],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(prefix + "_stats.csv") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    row = next(r for name, r in rows.items() if name.startswith(("read", "write")))
    return {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
            "rps": round(float(row["Requests/s"]), 1), "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]), "p99_ms": float(row["99%"])}


def profile(stack, name, seconds, out_dir):
    """py-spy on the gateway and identity (the read's two processes) while locust runs."""
    spies = []
    for label in ("gateway", "identity"):
        raw = os.path.join(out_dir, "%s-%s.txt" % (name, label))
        spy = subprocess.Popen([PYSPY, "record", "--format", "raw", "--nonblocking", "-r", "200",
                                "-d", str(seconds), "-o", raw, "-p", str(stack.process(label).pid)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        spies.append((label, spy, raw))
    return spies


def summarise_profile(raw_path, top=10):
    """From py-spy's collapsed stacks: the share of samples spent in each frame of our own code
    (inclusive) and the frames the process was in when sampled (self): where the time goes."""
    ours, own, samples = {}, {}, 0
    try:
        lines = open(raw_path).read().splitlines()
    except OSError:
        return {}
    for line in lines:
        stack_text, _, count = line.rpartition(" ")
        frames = [f for f in stack_text.split(";") if f]
        n, samples = int(count), samples + int(count)
        for frame in {f.rsplit(":", 1)[0] + ")" for f in frames if OURS.search(f)}:
            ours[frame] = ours.get(frame, 0) + n
        if frames:
            own[frames[-1]] = own.get(frames[-1], 0) + n

    def ranked(counts):
        return [[f, round(100.0 * n / samples, 1)]
                for f, n in sorted(counts.items(), key=lambda kv: -kv[1])[:top]]
    return {"samples": samples, "our_code_inclusive_pct": ranked(ours), "self_pct": ranked(own)}


def measured(run, requests_of=lambda r: r["requests"]):
    """run() with the CPU each process kind spent per request added to its figures."""
    before = cpu_ms()
    result = run()
    result["cpu_ms_per_request"] = cpu_per_request(before, cpu_ms(), requests_of(result))
    return result


def measure_edge(stack, users, seconds, rounds, out_dir):
    """Bare RPC and the gateway's read in alternating rounds, then nameko's default publishing
    and the gateway's write once, all at the same concurrency. The read/bare ratio is taken
    per round (each pair measured back to back) and the median round reported: this machine's
    speed drifts by ±20 % over minutes, which a single pair measured apart turns into noise."""
    out = {"replicas": stack.replicas, "rounds": []}
    out_dir = os.path.join(out_dir, "replicas-%d" % stack.replicas)
    amqp = stack.env()["AMQP_URI"]
    pairs = []
    for i in range(rounds):
        round_dir = os.path.join(out_dir, "round-%d" % (i + 1))
        os.makedirs(round_dir, exist_ok=True)
        print("bench: %d replica(s), round %d/%d: bare nameko RPC (echo), then the gateway's "
              "read (locust ReadUser), %d clients, %ds each ..."
              % (stack.replicas, i + 1, rounds, users, seconds))
        bare = measured(lambda: bare_rpc(amqp, users, seconds))
        spies = (profile(stack, "gateway_read", seconds, round_dir)
                 if i == 0 and os.environ.get("BENCH_PROFILE") else [])
        read = measured(lambda: locust_run(stack.url, "ReadUser", users, seconds, round_dir))
        for label, spy, raw in spies:
            spy.wait(60)
            read.setdefault("profile", {})[label] = summarise_profile(raw)
        read["ratio_to_bare_rpc"] = round(read["rps"] / max(bare["rps"], 0.1), 2)
        pairs.append((bare, read))
        out["rounds"].append({"bare_rpc_rps": bare["rps"], "gateway_read_rps": read["rps"],
                              "ratio": read["ratio_to_bare_rpc"]})
        print("   bare %.0f/s, read %.0f/s (p95 %s ms): %.2f"
              % (bare["rps"], read["rps"], read["p95_ms"], read["ratio_to_bare_rpc"]))
    out["bare_rpc"], out["gateway_read"] = sorted(
        pairs, key=lambda pair: pair[1]["ratio_to_bare_rpc"])[len(pairs) // 2]
    print("bench: bare nameko RPC with nameko's default publishing (confirms, persistent) ...")
    out["bare_rpc_nameko_defaults"] = bare_rpc(amqp, users, seconds, nameko_defaults=True)
    print("  ", out["bare_rpc_nameko_defaults"])
    print("bench: gateway_write through the gateway (locust WriteUser) ...")
    out["gateway_write"] = measured(
        lambda: locust_run(stack.url, "WriteUser", users, seconds, out_dir))
    out["gateway_write"]["ratio_to_bare_rpc"] = round(
        out["gateway_write"]["rps"] / max(out["bare_rpc"]["rps"], 0.1), 2)
    for name in ("gateway_read", "gateway_write"):
        out[name]["ratio_to_bare_rpc_nameko_defaults"] = round(
            out[name]["rps"] / max(out["bare_rpc_nameko_defaults"]["rps"], 0.1), 2)
    print("   write:", out["gateway_write"])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=int(os.environ.get("BENCH_USERS", 20)))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", 20)))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 3)),
                        help="alternating bare-RPC/read rounds per replica count (median taken)")
    parser.add_argument("--replicas", default=os.environ.get("BENCH_REPLICAS", "1,2"),
                        help="replica counts to measure the edge with, e.g. 1,2 (scenarios: first)")
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""),
                        help="comma-separated parts: edge and/or scenario names (default: all)")
    args = parser.parse_args()
    only = {p for p in args.only.split(",") if p}
    out_dir = os.path.join(ROOT, "results", "bench-" + dt.datetime.now().strftime("%Y%m%d-%H%M%S"))
    os.makedirs(out_dir, exist_ok=True)
    results = {"machine": {"cores": os.cpu_count(), "memory_gib": round(
        os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30, 1)},
        "users": args.users, "seconds": args.seconds, "rounds": args.rounds, "runs": [],
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    from loadtests import scenarios
    counts = [int(n) for n in args.replicas.split(",")]
    # the first count's stack runs last, because it also runs the scenarios: an edge run after
    # them (24,400 people's data, then dropped) measured 0.45 where it measured 0.59-0.66 alone
    for replicas in reversed(counts):
        stack = Stack("bench", replicas=replicas, extra_env=LOAD_ENV)
        stack.ensure_infra()
        stack.reset_data()
        try:
            stack.start_extra("echo", "loadtests.echo_service:EchoService")
            stack.start_extra("echo_default", "loadtests.echo_service:NamekoDefaultEchoService")
            stack.start()
            if not only or "edge" in only:
                results["runs"].append(measure_edge(stack, args.users, args.seconds, args.rounds,
                                                    out_dir))
            for name, fn in scenarios.SCENARIOS if replicas == counts[0] else ():
                if only and name not in only:
                    continue
                print("bench: %s ..." % name)
                try:
                    results[name] = fn(stack)
                except Exception as exc:  # noqa: BLE001 - one scenario must not lose the others
                    results[name] = {"error": "%s: %s" % (type(exc).__name__, exc)}
                print("  ", results[name])
        finally:
            stack.stop()
    results["runs"].sort(key=lambda run: run["replicas"])
    path = os.path.join(out_dir, "bench.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2, ensure_ascii=False)
    print("\nbench: written %s" % path)
    for run in results["runs"]:
        read, write = run["gateway_read"], run["gateway_write"]
        print("%d replica(s): bare RPC %.0f/s (nameko defaults %.0f/s); gateway read %.0f/s "
              "(p95 %s ms) = %.2f of bare RPC (median of rounds %s; %.2f of nameko defaults); "
              "write %.0f/s = %.2f"
              % (run["replicas"], run["bare_rpc"]["rps"], run["bare_rpc_nameko_defaults"]["rps"],
                 read["rps"], read["p95_ms"], read["ratio_to_bare_rpc"],
                 "/".join("%.2f" % r["ratio"] for r in run["rounds"]),
                 read["ratio_to_bare_rpc_nameko_defaults"], write["rps"],
                 write["ratio_to_bare_rpc"]))


if __name__ == "__main__":
    main()
