"""Command line latency as a user meets it: whole processes, from start to exit.

Times, in one run and interleaved round by round (so other load on the machine hits every case
alike): ``python -c pass`` (the interpreter alone, the floor), ``c360 --help``, an answer the
store gives without any model (open complaints), and an answer that needs a query embedding
(what a customer said about a topic). Each case runs ``--runs`` times (default 5) after one
untimed warm-up; printed: median and best wall time, median CPU time (user + sys), and the
peak resident memory of the child (``ru_maxrss`` from ``wait4``), plus the 1-minute load
average before and after. Every answer is checked (exit code, the customer it names) and its
stderr must be empty: no progress bars, no warnings.

The store is the demo company (``c360 demo --no-briefs``) in ``bench/.cache/cli-demo``, built
once; ``--data-dir`` points at another. ``--torch`` adds the embedding question on the PyTorch
engine (``C360_EMBED_BACKEND=torch``), the path the CLI took before ONNX, in the same run.

    .venv/bin/python bench/bench_cli.py
    .venv/bin/python bench/bench_cli.py --runs 9 --torch

Goals (issue 14, 2 cores): the embedding answer <= 1.0 s wall and <= 300 MB peak;
``c360 --help`` <= 0.3 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_parser  # noqa: E402
from c360.commands import option  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
PYTHON = sys.executable
C360 = str(Path(sys.executable).with_name("c360"))

STORE_QUESTION = "Which open complaints does Globex Industries have?"
EMBED_QUESTION = "What did Acme Corp say about the Salesforce sync?"
GOALS = {"help": (0.3, None), "ask-embedding": (1.0, 300.0)}


@dataclass
class Case:
    name: str
    argv: list[str]
    expect: str | None = None  # the start of stdout
    env: dict[str, str] = field(default_factory=dict)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def run_once(case: Case, env: dict[str, str]) -> None:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(case.argv, env={**env, **case.env}, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    case.walls.append(wall)
    case.cpus.append(usage.ru_utime + usage.ru_stime)
    case.rss_mb.append(usage.ru_maxrss / 1024)  # KiB on Linux
    if proc.returncode != 0:
        case.failures.append(f"exit {proc.returncode}: {stderr.strip()[-300:]}")
    elif case.expect and not stdout.startswith(case.expect):
        case.failures.append(f"unexpected answer: {stdout[:120]!r}")
    elif stderr.strip():
        case.failures.append(f"stderr not empty: {stderr.strip()[:200]!r}")


def ensure_store(data_dir: Path, env: dict[str, str]) -> None:
    marker = data_dir / "bench-cli-ready"
    if marker.exists():
        return
    print(f"building the demo store in {data_dir} (once) ...", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [C360, "demo", "--no-briefs", "--no-progress"],
        env={**env, "C360_DATA_DIR": str(data_dir)},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    marker.write_text("ok\n")
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(
        __doc__.split("\n\n")[0],
        option("--runs", type=int, default=5, help="timed runs per case (default 5)"),
        option("--data-dir", type=Path, help="an ingested store (default: the demo)"),
        option("--torch", action="store_true", help="add the PyTorch engine's row"),
        option(
            "--before",
            type=Path,
            metavar="SRC",
            help="add both answers run from another source tree (e.g. `git archive` of an "
            "earlier commit), interleaved with this one: a before/after under the same load",
        ),
        raw=True,
    )
    args = parser.parse_args(argv)

    data_dir = (args.data_dir or CACHE / "cli-demo").resolve()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("C360_") or key in ("C360_MODEL_CACHE_DIR",)
    }
    env |= {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    # An installed package has its bytecode (pip compiles it); a shell that forbids writing it
    # would make every run compile the project's modules from source again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not args.data_dir:
        data_dir.mkdir(parents=True, exist_ok=True)
        ensure_store(data_dir, env)
    env["C360_DATA_DIR"] = str(data_dir)

    cases = [
        Case("python -c pass", [PYTHON, "-c", "pass"]),
        Case("help", [C360, "--help"], expect="usage: c360"),
        Case("ask-store", [C360, "ask", STORE_QUESTION, "--no-log"], expect="Globex Industries"),
        Case("ask-embedding", [C360, "ask", EMBED_QUESTION, "--no-log"], expect="Acme Corp"),
    ]
    if args.torch:
        cases.append(
            Case(
                "ask-embedding (torch)",
                [C360, "ask", EMBED_QUESTION, "--no-log"],
                expect="Acme Corp",
                env={"C360_EMBED_BACKEND": "torch"},
            )
        )

    if args.before:
        before = {"PYTHONPATH": str(args.before.resolve())}
        cases += [
            Case("ask-store (before)", cases[2].argv, cases[2].expect, env=before),
            Case("ask-embedding (before)", cases[3].argv, cases[3].expect, env=before),
        ]

    for case in cases:  # warm-up: page cache, the ONNX export if the store predates it
        run_once(case, env)
        case.walls.clear(), case.cpus.clear(), case.rss_mb.clear()
        if case.failures:
            print(f"{case.name}: {case.failures[0]}", file=sys.stderr)
            return 1
    load_before = os.getloadavg()
    for _ in range(args.runs):
        for case in cases:
            run_once(case, env)
    load_after = os.getloadavg()

    floor = statistics.median(cases[0].walls)
    print(
        f"\nWhole-process times, median of {args.runs} (interleaved); store {data_dir}; "
        f"{os.cpu_count()} CPUs; 1-min load average {load_before[0]:.2f} -> {load_after[0]:.2f}"
    )
    header = f"{'case':<24} {'wall p50':>9} {'best':>7} {'- python':>9} {'CPU p50':>8} {'peak RSS':>9}  result"
    print(header)
    print("-" * len(header))
    verdicts = []
    for case in cases:
        wall = statistics.median(case.walls)
        rss = max(case.rss_mb)
        status = "ok" if not case.failures else f"{len(case.failures)} failed: {case.failures[0]}"
        print(
            f"{case.name:<24} {wall:>8.3f}s {min(case.walls):>6.3f}s {wall - floor:>+8.3f}s "
            f"{statistics.median(case.cpus):>7.3f}s {rss:>7.0f}MB  {status}"
        )
        goal = GOALS.get(case.name)
        if goal:
            max_wall, max_rss = goal
            met = wall <= max_wall and (max_rss is None or rss <= max_rss)
            verdicts.append(
                f"{case.name}: {'meets' if met else 'MISSES'} <= {max_wall} s"
                + (f" and <= {max_rss:.0f} MB" if max_rss else "")
                + f" ({wall:.2f} s, {rss:.0f} MB)"
            )
    print("Goals: " + "; ".join(verdicts))
    if max(load_before[0], load_after[0]) > (os.cpu_count() or 1):
        print("(other processes shared the cores during the run: wall times are pessimistic; CPU p50 is the load-robust figure)")  # fmt: skip
    return 0 if all(not c.failures for c in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
