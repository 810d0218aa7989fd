"""Slack bot load test: signed /customer commands at a steady rate against the real HTTP server.

    .venv/bin/python bench/bench_slack.py [--rate 200] [--duration 60] [--workers 2]

What runs: `c360 serve` (gunicorn, gthread) in a subprocess on 127.0.0.1, over a demo store
(generated once by c360.services.demo and cached under bench/.cache/), with the real retrieval
(MiniLM, Chroma, SQLite) behind it. Its Web API and response_url calls go to the strict fake Slack
server from the tests, running here. Commands are fired open-loop (on a fixed schedule, whatever
the answers take) from a pool of sender threads in a process of their own (Slack's sender does
not share a GIL with the response_url receiver; ``--same-process-sender`` fires from this process,
as the first version did), each a new signed HTTP request as Slack sends. The server's /healthz
gives the work pool's and the exchange log's queue depths, printed at the end.

Prints: ack latency p50/p95/p99 (request sent -> HTTP response), errors (non-200 or failed
requests), how many commands got their answer at response_url, whatever its wording (an answer,
a question back with candidates, "not found"; and how many of those were a "busy, try again"),
and answer latency. Goal (issue 14): at 200 req/s for 60 s against 2 gunicorn processes, ack
p99 <= 20 ms, 0 errors, every command answered (the defaults are that run).
Bounded: stops by itself after --duration plus at most --drain seconds of waiting for answers.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "slack"))  # the fake Slack server lives with the tests
sys.path.insert(0, str(ROOT / "tests"))  # and the child-process helpers
sys.path.insert(0, str(ROOT))
from child_processes import answers_ok, stop, wait_until_up  # noqa: E402
from fake_slack import TEAM_ID, FakeSlack  # noqa: E402

from bench.common import bench_parser, store_options  # noqa: E402
from bot import wording  # noqa: E402  (the fixed notices an answer is told apart from)
from c360.commands import option  # noqa: E402

BOT_TOKEN = "xoxb-bench-0000"
SIGNING_SECRET = "bench-signing-secret"
CACHE = ROOT / "bench" / ".cache"
# Issue 14: four times the load of the first run (50 req/s, one process).
GOAL_RATE, GOAL_WORKERS, GOAL_P99_MS = 200.0, 2, 20.0
FAILURE_NOTICE = wording.failure("ID").split("ID")[0]  # the words before the error id


def build_store(data_dir: Path, customers: int) -> list[str]:
    """The demo company in ``data_dir`` (built once, reused); returns the customer names."""
    from c360.services.demo import DemoCompany

    company = DemoCompany(customers=customers, seed=7)
    names = [c.name for c in company.customers()]
    marker = data_dir / f"READY-{customers}"
    if marker.exists():
        return names
    from c360.container import Container
    from c360.settings import Settings

    print(f"building a {customers}-customer demo store in {data_dir} (once)...", flush=True)
    started = time.perf_counter()
    container = Container(Settings(data_dir=data_dir, _env_file=None))
    summary = container.ingest.add_records(
        (g.record for g in company.records()), source="bench:demo"
    )
    print(
        f"  {summary.total('inserted')} records in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    marker.write_text("ok\n")
    return names


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def store_names(database_url: str) -> list[str]:
    """The customer names of an existing store (the scale-out run: PostgreSQL + Chroma server)."""
    from sqlalchemy import create_engine, select

    from store.models import CustomerRow

    engine = create_engine(database_url)
    with engine.connect() as conn:
        names = list(
            conn.execute(select(CustomerRow.name).order_by(CustomerRow.customer_id)).scalars()
        )
    engine.dispose()
    return names


def worker_rss(parent: int) -> dict[int, float]:
    """Resident memory (MB) of each child process of ``parent`` (the gunicorn workers)."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                pages = int((stat.parent / "statm").read_text().split()[1])
                out[int(stat.parent.name)] = pages * os.sysconf("SC_PAGE_SIZE") / 1e6
        except (OSError, IndexError, ValueError):
            continue
    return out


def start_server(
    data_dir: Path,
    port: int,
    api_url: str,
    threads: int,
    queue: int,
    work_threads: int,
    workers: int = 1,
    servers: dict[str, str] | None = None,
    work_nice: int | None = None,
) -> subprocess.Popen:
    env = {
        **os.environ,
        **(servers or {}),
        **({"C360_SLACK_WORK_NICE": str(work_nice)} if work_nice is not None else {}),
        "C360_SLACK_WORK_THREADS": str(work_threads),
        "C360_SLACK_WORK_QUEUE": str(queue),
        "C360_DATA_DIR": str(data_dir),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "HF_HUB_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    c360 = Path(sys.executable).with_name("c360")
    cmd = [
        str(c360),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--threads",
        str(threads),
        "--workers",
        str(workers),
    ]
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=(CACHE / "bench_slack_server.log").open("w")
    )


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 180) -> None:
    problem = wait_until_up(
        proc, lambda: answers_ok(f"http://127.0.0.1:{port}/healthz"), timeout, 0.5
    )
    if problem:
        raise SystemExit(
            f"the server is not healthy: {problem}; see {CACHE / 'bench_slack_server.log'}"
        )


def server_health(port: int) -> dict:
    """The server's /healthz: queue depths of its work pool and exchange log."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        return json.loads(conn.getresponse().read())
    except (OSError, ValueError):
        return {}


def signed_command(text: str, response_url: str) -> tuple[bytes, dict[str, str]]:
    body = urlencode(
        {
            "token": "unused",
            "team_id": TEAM_ID,
            "team_domain": "bench",
            "channel_id": "C0BENCH001",
            "channel_name": "bench",
            "user_id": "U0BENCH001",
            "user_name": "bench",
            "command": "/customer",
            "text": text,
            "api_app_id": "A0BENCH",
            "response_url": response_url,
            "trigger_id": uuid.uuid4().hex,
        }
    ).encode()
    ts = str(int(time.time()))
    signature = (
        "v0="
        + hmac.new(
            SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256
        ).hexdigest()
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }
    return body, headers


def fire_load(port: int, commands: list[tuple[str, str, str]], rate: float) -> dict:
    """Fire ``(key, text, response_url)`` commands open-loop at ``rate`` per second; returns
    ``sent`` as (key, started, seconds to the HTTP response, status, busy ack) and errors."""
    sent: list[tuple[str, float, float, int, bool]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def fire(key: str, text: str, url: str) -> None:
        body, headers = signed_command(text, url)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            started = time.monotonic()
            conn.request("POST", "/slack/events", body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            elapsed = time.monotonic() - started
            conn.close()
        except OSError as exc:
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
            return
        with lock:
            sent.append((key, started, elapsed, resp.status, b"busy" in data))

    late = 0.0
    with ThreadPoolExecutor(max_workers=64) as senders:
        t0 = time.monotonic()
        for n, command in enumerate(commands):
            due = t0 + n / rate
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            else:
                late = max(late, now - due)
            senders.submit(fire, *command)
    return {"sent": sent, "errors": errors, "late": late, "seconds": time.monotonic() - t0}


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(
        __doc__.split("\n\n")[0],
        option("--rate", type=float, default=GOAL_RATE, help="commands per second"),
        option("--duration", type=float, default=60.0, help="seconds of load"),
        option("--customers", type=int, default=300, help="demo customers in the store"),
        option("--threads", type=int, default=8, help="gunicorn threads"),
        option(
            "--work-threads", type=int, default=2,
            help="the bot's work pool threads (C360_SLACK_WORK_THREADS; the setting's default)",
        ),
        option(
            "--work-nice", type=int, default=None,
            help="how many nice steps lower the work pool's threads run (C360_SLACK_WORK_NICE; "
            "default: the setting's default; 0: the same priority as the acks)",
        ),
        option("--queue", type=int, default=0, help="work queue size (default: rate x duration)"),
        option("--drain", type=float, default=180.0, help="max seconds to wait for answers after the load"),
        option("--data-dir", type=Path, default=CACHE / "slack-store"),
        option(
            "--same-process-sender", action="store_true",
            help="fire from threads of this process, beside the fake Slack server (the old way)",
        ),
        option(
            "--ack-only", action="store_true",
            help="send empty /customer commands (answered by the ack alone): the ack path's floor here",
        ),
        option("--workers", type=int, default=GOAL_WORKERS, help="gunicorn worker processes"),
        *store_options(
            "serve an existing store on this database (e.g. the one bench_brief.py built on "
            "PostgreSQL) instead of building the demo store",
            "with --database-url: the Chroma server",
        ),
        option("--chroma-collection", help="with --database-url: the collection name"),
    )  # fmt: skip
    args = parser.parse_args(argv)

    CACHE.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    servers: dict[str, str] = {}
    if args.database_url:
        names = store_names(args.database_url)
        servers["C360_DATABASE_URL"] = args.database_url
        if args.chroma_host:
            servers |= {
                "C360_CHROMA_HOST": args.chroma_host,
                "C360_CHROMA_PORT": str(args.chroma_port),
            }
        if args.chroma_collection:
            servers["C360_CHROMA_COLLECTION"] = args.chroma_collection
        print(f"store: {len(names):,} customers on {args.database_url.split('@')[-1]}", flush=True)
    else:
        names = build_store(args.data_dir, args.customers)
    fake = FakeSlack(token=BOT_TOKEN).start()
    fake.add_user("U0BENCH001", "bench", real_name="Bench User")
    fake.add_channel("C0BENCH001", "bench")
    port = free_port()
    # The work queue holds the whole run, so a backlog is answered late rather than refused.
    queue = args.queue or int(args.rate * args.duration)
    started_at = time.monotonic()
    proc = start_server(
        args.data_dir, port, fake.api_url, args.threads, queue, args.work_threads,
        workers=args.workers, servers=servers, work_nice=args.work_nice,
    )  # fmt: skip
    try:
        print(
            f"server: c360 serve on 127.0.0.1:{port} (gunicorn, {args.threads} threads; work pool {args.work_threads} threads, queue {queue}); warming up...",
            flush=True,
        )
        wait_healthy(port, proc)

        # Healthy once one worker answers; wait (bounded) for the others to finish warming.
        def warming() -> bool:  # a warm worker holds the model and the indexes
            rss = list(worker_rss(proc.pid).values())
            return len(rss) < args.workers or min(rss) < 0.8 * max(rss)

        while warming() and time.monotonic() - started_at < 300:
            time.sleep(0.5)
        print(
            f"server healthy after {time.monotonic() - started_at:.1f} s; worker RSS "
            + ", ".join(f"{mb:.0f} MB" for mb in worker_rss(proc.pid).values()),
            flush=True,
        )
        total = int(args.rate * args.duration)
        commands = [
            (f"b{n}", "" if args.ack_only else names[n % len(names)], fake.response_url(f"b{n}"))
            for n in range(total)
        ]
        print(
            f"load: {total} signed /customer commands at {args.rate:g}/s for {args.duration:g} s"
            + (" (sender threads in this process)" if args.same_process_sender else ""),
            flush=True,
        )
        if args.same_process_sender:
            fired = fire_load(port, commands, args.rate)
        else:
            # Slack's sender does not share a process (and a GIL) with the response_url receiver:
            # fire from a process of our own, so the fake Slack server taking the answers here
            # never delays the reading of an ack. (time.monotonic is system-wide on Linux.)
            import multiprocessing

            with multiprocessing.get_context("spawn").Pool(1) as sender:
                fired = sender.apply(fire_load, (port, commands, args.rate))
        sent_at = {key: started for key, started, _, _, _ in fired["sent"]}
        acks = [elapsed for _, _, elapsed, status, _ in fired["sent"] if status == 200]
        busy_acks = sum(1 for _, _, _, status, busy in fired["sent"] if status == 200 and busy)
        errors = fired["errors"] + [
            f"HTTP {status}" for _, _, _, status, _ in fired["sent"] if status != 200
        ]
        late, load_seconds = fired["late"], fired["seconds"]

        # Wait (bounded) until every acknowledged command has its answer at the response_url.
        deadline = time.monotonic() + (0 if args.ack_only else args.drain)
        while time.monotonic() < deadline:
            with fake._lock:
                pending = [k for k in sent_at if not fake.responses.get(k)]
            if not pending:
                break
            time.sleep(0.5)
        with fake._lock:
            answered = {k: fake.responses[k][0] for k in sent_at if fake.responses.get(k)}
            answer_latency = [fake.response_times[k][0] - sent_at[k] for k in answered]
        # Every first message at a command's response_url is its answer, whatever it says (a
        # short answer starts with the customer's name, a question back lists candidates),
        # except the fixed notices: "busy, try again" and "something went wrong (error id)".
        busy_answers = sum(1 for b in answered.values() if (b.get("text") or "") == wording.BUSY)
        failed_answers = sum(
            1 for b in answered.values() if (b.get("text") or "").startswith(FAILURE_NOTICE)
        )
        real_answers = len(answered) - busy_answers - failed_answers
        if answered:
            sample = next(iter(answered.values()))
            print(f"first answer: {str(sample.get('text') or sample)[:160]!r}")
        ms = [a * 1000 for a in acks]
        print()
        print(f"sent {total} in {load_seconds:.1f} s (scheduler at most {late * 1000:.0f} ms late)")
        print(
            f"ack latency ms: p50 {pct(ms, 50):.1f}  p95 {pct(ms, 95):.1f}  p99 {pct(ms, 99):.1f}  max {max(ms, default=float('nan')):.1f}"
        )
        print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
        print(
            f"workers: {args.workers}; RSS after the run "
            + ", ".join(f"{mb:.0f} MB" for mb in worker_rss(proc.pid).values())
            + f"; 1-min load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
        )
        print(
            f"answered at response_url: {len(answered)}/{total} ({real_answers} answers, {busy_answers} 'busy', {failed_answers} failure notices, {busy_acks} busy acks)"
        )
        print(
            f"answer latency s: p50 {pct(answer_latency, 50):.2f}  p95 {pct(answer_latency, 95):.2f}  "
            f"max {max(answer_latency, default=float('nan')):.2f}"
        )
        health = server_health(port)
        pool, xlog = health.get("work_pool") or {}, health.get("exchange_log") or {}
        if pool:
            print(
                f"work pool: at most {pool['max_jobs']} jobs running or waiting "
                f"({pool['workers']} threads at nice +{pool.get('nice', 0)}), "
                f"{pool['rejected']} refused"
            )
        if xlog:
            print(
                f"exchange log: {xlog['written']} written in {xlog['batches']} batches, "
                f"{xlog['failed']} failed, at most {xlog['max_queued']} queued, "
                f"{xlog['queued']} still queued"
            )
        reindexed = (CACHE / "bench_slack_server.log").read_text().count("left unindexed")
        print(f"server log: {reindexed} 'left unindexed' re-indexing warnings")
        if args.ack_only:  # no work was queued, so there is nothing to wait for at response_url
            print(
                f"ack-only run: the ack path alone (no retrieval behind it); p99 {pct(ms, 99):.1f} ms"
            )
            return 0
        goal = pct(ms, 99) <= GOAL_P99_MS and not errors and real_answers == total
        print(
            f"goal (p99 <= {GOAL_P99_MS:.0f} ms, 0 errors, every command answered): "
            f"{'MET' if goal else 'NOT MET'}"
            + (
                ""
                if (args.rate, args.workers) == (GOAL_RATE, GOAL_WORKERS)
                else f" (the goal is set at {GOAL_RATE:.0f} req/s and {GOAL_WORKERS} processes;"
                f" this run: {args.rate:g} req/s, {args.workers})"
            )
        )
        return 0 if goal else 1
    finally:
        stop(proc)
        fake.stop()


if __name__ == "__main__":
    sys.exit(main())
