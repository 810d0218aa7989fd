"""`c360 sync` throughput against the model's own speed, and the cost of a sync that finds
nothing new.

Fills the strict local fakes of the tests (tests/sources: Zendesk and HubSpot over real HTTP
on 127.0.0.1) with N records (Zendesk organizations, tickets and comments; HubSpot companies
and notes), times the raw embedding of exactly the texts the sync will embed (same model, same
batch size), then times a first `c360 sync` of both sources into a fresh store (API -> parse ->
identity -> store -> embed -> Chroma) and prints records/s and its ratio to the raw rate (goal
>= 0.8). Then times an incremental sync with nothing changed (goal < 2 s at 100,000 records),
and a `--full` re-read of everything unchanged (hash comparison only, nothing embedded).
Beside the rates: the process's CPU in the sync and in the raw pass (the fakes' answers counted
apart), and the seconds spent in the model's forward passes in each, so the gap splits into
work beside the model and the model itself running slower.
The embedder is the real one (all-MiniLM-L6-v2 through ONNX Runtime, as `c360 sync` runs it);
only `--unchanged` fills its store with a stand-in, because its timed pass embeds nothing.

    .venv/bin/python bench/bench_sync.py --n 100000   # the issue's size; hours on a busy machine
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "sources"))
sys.path.insert(0, str(ROOT))
from bench.common import bench_parser  # noqa: E402
from c360.commands import option  # noqa: E402

PROBLEMS = ["invoice charged twice", "SSO login loops", "export times out", "API rate limits",
            "mobile app crashes", "missing seats", "slow dashboard", "renewal pricing"]  # fmt: skip
REPLIES = ["We are looking into it and will reply today.", "Escalated to engineering with logs.",
           "Refund issued, please allow five days.", "Fixed in the latest release, please retry.",
           "Could you send a screenshot of the error?", "Thanks, closing this as solved."]  # fmt: skip


def fill(zendesk, hubspot, n: int, seed: int) -> None:
    """About n records: 1% organizations, 40% tickets, 45% comments, 0.5% companies, 13.5% notes."""
    rnd = random.Random(seed)
    orgs = max(1, n // 100)
    zendesk.add_user(1, "Carla Customer", role="end-user")
    zendesk.add_user(2, "Sam Agent", role="agent")
    for o in range(orgs):
        zendesk.add_org(o + 1, f"Customer {o}", domains=[f"customer{o}.example"])
    for t in range(int(n * 0.40)):
        problem = rnd.choice(PROBLEMS)
        zendesk.add_ticket(t + 1, t % orgs + 1, f"{problem.capitalize()} #{t}",
                           f"Since the update our team sees {problem} on account {t % orgs}. "
                           f"Case {t}: {rnd.randint(2, 40)} users affected, please advise.")  # fmt: skip
    for c in range(int(n * 0.45)):
        zendesk.add_comment(c % int(n * 0.40) + 1, 1 + c % 2, f"{rnd.choice(REPLIES)} (update {c})")
    companies = max(1, n // 200)
    for k in range(companies):
        hubspot.put("companies", str(k + 1), name=f"Prospect {k}", domain=f"prospect{k}.example")
    for m in range(int(n * 0.135)):
        hubspot.put("notes", str(m + 1), company=str(m % companies + 1),
                    hs_note_body=f"<p>Call with Prospect {m % companies}: {rnd.choice(PROBLEMS)} "
                                 f"came up, follow-up {m}.</p>", hs_timestamp="1700100000000")  # fmt: skip


def sources_and_settings(zendesk, hubspot, tmp: Path):
    """The sources file naming both fakes (no pacing), and settings with their test credentials."""
    import yaml
    from pydantic import SecretStr

    from c360.settings import Settings

    sources = tmp / "sources.yml"
    sources.write_text(yaml.safe_dump({"sources": [
        {"name": "helpdesk", "connector": "zendesk", "subdomain": "bench", "base_url": zendesk.base_url, "pace": 0},
        {"name": "crm", "connector": "hubspot", "base_url": hubspot.base_url, "pace": 0},
    ]}))  # fmt: skip
    settings = Settings(
        data_dir=tmp / "c360", hubspot_token=SecretStr("hs-test-token"),
        zendesk_email="agent@example.com", zendesk_api_token=SecretStr("zd-test-token"), _env_file=None,
        model_cache_dir=ROOT / "bench" / ".cache" / "models",  # the ONNX export, made once
    )  # fmt: skip
    return sources, settings


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(
        __doc__,
        option("--n", type=int, default=5000, help="records in the fakes (default 5000)"),
        option("--seed", type=int, default=11),
        option(
            "--unchanged", type=int, default=0, metavar="N",
            help="instead: time only the no-change incremental sync over N stored records; the store "
            "is filled through the same sync with a stand-in embedder (the timed pass embeds nothing)",
        ),
        raw=True,
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.unchanged:
        return unchanged_only(args.unchanged, args.seed)

    from fake_hubspot import FakeHubSpot
    from fake_zendesk import FakeZendesk

    from c360.clock import SystemClock
    from c360.container import Container
    from store.models import ChunkRow, ComplaintRow, CustomerRow, MomentRow

    with FakeZendesk() as zendesk, FakeHubSpot() as hubspot, tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        fill(zendesk, hubspot, args.n, args.seed)
        total = (len(zendesk.orgs) + len(zendesk.tickets) + sum(len(e["child_events"]) for e in zendesk.events)
                 + len(hubspot.objects["companies"]) + len(hubspot.objects["notes"]))  # fmt: skip
        print(f"fakes filled with {total} records in {time.perf_counter() - started:.1f}s")
        sources, settings = sources_and_settings(zendesk, hubspot, Path(tmp))
        container = Container(settings, clock=SystemClock())
        embeddings = container.embeddings  # the real model: all-MiniLM-L6-v2, not a stand-in
        embeddings.encode(["warm up"] * 8)
        forward = _time_forward_passes(embeddings)
        print(f"model: {Path(settings.resolved_model_path()).parent.name} ({embeddings.backend}, batch "
              f"{settings.embed_batch_size}); load average {_load()}")  # fmt: skip

        # The first sync, timed, into a fresh store.
        t0, c0, f0 = time.perf_counter(), _cpu(), zendesk.cpu_seconds + hubspot.cpu_seconds
        forward[0] = 0.0
        report = container.sync.sync(sources)
        first, first_cpu, first_model = time.perf_counter() - t0, _cpu() - c0, forward[0]
        fakes_cpu = zendesk.cpu_seconds + hubspot.cpu_seconds - f0
        assert report.completed, report.to_dict()
        with container.sessions() as s:
            stored = (
                s.query(CustomerRow).count()
                + s.query(MomentRow).count()
                + s.query(ComplaintRow).count()
            )
            # Exactly the texts the sync embedded (its chunks), embedded again raw.
            unique = list(dict.fromkeys(row.text for row in s.query(ChunkRow.text)))
        embedded = sum(r.summary.embedded for r in report.sources)
        t0, c0 = time.perf_counter(), _cpu()
        forward[0] = 0.0
        embeddings.encode(unique)
        raw, raw_cpu, raw_model = time.perf_counter() - t0, _cpu() - c0, forward[0]
        raw_rate = len(unique) / raw
        timed = container
        t0 = time.perf_counter()
        again = timed.sync.sync(sources)
        incremental = time.perf_counter() - t0
        changed = sum(
            r.summary.total("inserted") + r.summary.total("updated") for r in again.sources
        )
        t0 = time.perf_counter()
        full = timed.sync.sync(sources, full=True)
        full_seconds = time.perf_counter() - t0
        full_unchanged = sum(r.summary.total("unchanged") for r in full.sources)

        print(
            f"records synced: {stored} stored, {embedded} texts embedded ({len(unique)} distinct)"
        )
        print(f"raw embedding of the same texts: {raw_rate:8.1f} texts/s ({raw:.1f}s)")
        print(f"first c360 sync (2 sources):     {stored / first:8.1f} records/s ({first:.1f}s)")
        print(f"ratio sync / raw embedding:      {stored / first / raw_rate:8.2f}  (goal >= 0.80)")
        print(f"CPU of this process (fakes included): sync {first_cpu:.1f}s, raw embedding "
              f"{raw_cpu:.1f}s (sync / raw {first_cpu / raw_cpu:.2f}); of the sync's, the fakes' "
              f"answers {fakes_cpu:.1f}s")  # fmt: skip
        print(f"in the model's forward passes: sync {first_model:.1f}s of {first:.1f}s, raw "
              f"{raw_model:.1f}s of {raw:.1f}s")  # fmt: skip
        print(f"incremental sync, nothing new:   {incremental:8.2f} s over {stored} unchanged records "
              f"({changed} written; goal < 2 s at 100,000)")  # fmt: skip
        print(f"--full re-read, nothing changed: {full_seconds:8.2f} s ({full_unchanged} unchanged, "
              f"{full_unchanged / full_seconds:.0f} records/s)")  # fmt: skip
        print(f"API calls: zendesk {len(zendesk.requests)}, hubspot {len(hubspot.requests)}")
        print(f"load average at the end: {_load()}")
    return 0


def _time_forward_passes(embeddings) -> list[float]:
    """A one-item list the model's forward passes add their seconds to (wall, in the calling
    thread): what of a pass is the model and what is the rest."""
    session, total = getattr(embeddings._loaded(), "session", None), [0.0]
    if session is None:  # the torch backend: not timed (0 s)
        return total
    run = session.run

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return run(*args, **kwargs)
        finally:
            total[0] += time.perf_counter() - started

    session.run = timed
    return total


def _cpu() -> float:
    """CPU seconds of this process so far, all threads (the model's, the fakes', the writer's)."""
    times = os.times()
    return times.user + times.system


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


class StandInEmbeddings:
    """Vectors from a text hash: fills a large store fast. Only for --unchanged, whose timed
    pass embeds nothing (its texts are all stored already)."""

    dimension = 384
    texts_embedded = 0

    def encode(self, texts):
        import hashlib

        import numpy as np

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha1(text.encode()).digest()[:4], "little")
            vec = np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)
            out[i] = vec / np.linalg.norm(vec)
        return out

    def encode_query(self, text):
        return self.encode([text])[0]

    def embed_documents(self, texts):
        return self.encode(texts).tolist()

    def embed_query(self, text):
        return self.encode([text])[0].tolist()


def unchanged_only(n: int, seed: int) -> int:
    from fake_hubspot import FakeHubSpot
    from fake_zendesk import FakeZendesk

    from c360.clock import SystemClock
    from c360.container import Container

    with FakeZendesk() as zendesk, FakeHubSpot() as hubspot, tempfile.TemporaryDirectory() as tmp:
        fill(zendesk, hubspot, n, seed)
        sources, settings = sources_and_settings(zendesk, hubspot, Path(tmp))
        container = Container(settings, embeddings=StandInEmbeddings(), clock=SystemClock())
        t0 = time.perf_counter()
        first = container.sync.sync(sources)
        assert first.completed, first.to_dict()
        stored = sum(r.summary.total("inserted") for r in first.sources)
        print(f"filled: {stored} records in {time.perf_counter() - t0:.1f}s (stand-in embedder)")
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            again = container.sync.sync(sources)
            times.append(time.perf_counter() - t0)
            written = sum(
                r.summary.total("inserted") + r.summary.total("updated") for r in again.sources
            )
            assert again.completed and written == 0, again.to_dict()
        print(f"incremental sync, nothing new, over {stored} unchanged records: "
              f"{', '.join(f'{t:.2f}s' for t in times)} (goal < 2 s at 100,000)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
