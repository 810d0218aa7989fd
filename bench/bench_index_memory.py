"""Memory and build time of the in-process name index at 10k and 100k customers.

Every web worker holds the resolver's name index (names, aliases, ids, e-mails, domains and
their token postings) in memory and builds it at start-up. This measures it directly, without
building a 10M-record store: the demo company generator's customers (the same look-alike
names, aliases, e-mails and domains the bench stores have), turned into the rows the store
hands the index (``CustomerNameRow``), indexed by the real ``NameIndex``. Printed per size:
the build time and this process's RSS growth (untraced), the bytes Python allocated for
the index (``tracemalloc``, a second build); plus one lookup, timed; and what a new process
pays instead of the build when the index is on disk (``retrieval/name_cache.py``): reading it
back (CPU time) and the file's size.

    .venv/bin/python bench/bench_index_memory.py                 # 10k and 100k customers
    .venv/bin/python bench/bench_index_memory.py --sizes 1000,10000,100000
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_parser  # noqa: E402
from c360.commands import option  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(
        __doc__.split("\n\n")[0], option("--sizes", default="10000,100000", help="customer counts")
    )
    args = parser.parse_args(argv)

    from c360.services.demo import DemoCompany
    from retrieval.name_cache import NameIndexCache
    from retrieval.name_index import NameIndex
    from store.queries.customers import CustomerNameRow

    print(
        f"{'customers':>10} {'build s':>8} {'index MB':>9} {'RSS +MB':>8} {'lookup ms':>10} "
        f"{'build CPU s':>11} {'read CPU s':>10} {'file MB':>8}  load"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        company = DemoCompany(customers=size, seed=11, today=date(2026, 11, 1))
        rows = [
            CustomerNameRow(c.customer_id, c.name, tuple(c.aliases), tuple(c.emails), c.domain)
            for c in company.customers()
        ]
        gc.collect()
        before = rss_mb()
        started = time.perf_counter()
        index = NameIndex()
        index.upsert(rows)
        _ = index.vocab  # built lazily on the first typo lookup; a warm worker has it
        built = time.perf_counter() - started
        grown = rss_mb() - before
        # The same build again under tracemalloc: the bytes the index itself holds.
        tracemalloc.start()
        traced = NameIndex()
        traced.upsert(rows)
        _ = traced.vocab
        allocated, _peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del traced
        name = rows[len(rows) // 2].name
        started = time.perf_counter()
        hits = index.match(f"What open complaints does {name} have?")
        lookup = (time.perf_counter() - started) * 1000
        assert hits, name
        # A new process: the build again (CPU time, the load-robust figure), or the disk copy.
        started = time.process_time()
        again = NameIndex()
        again.upsert(rows)
        build_cpu = time.process_time() - started
        with tempfile.TemporaryDirectory() as tmp:
            cache = NameIndexCache(Path(tmp), "sqlite:///bench")
            cache.save("bench", again)
            started = time.process_time()
            loaded = cache.load("bench")
            read_cpu = time.process_time() - started
            size_mb = cache.path.stat().st_size / 1e6
        assert loaded is not None and loaded.match(name) == index.match(name), name
        del again, loaded
        print(
            f"{len(rows):>10,} {built:>8.2f} {allocated / 1e6:>9.1f} {grown:>8.1f} {lookup:>10.1f} "
            f"{build_cpu:>11.2f} {read_cpu:>10.2f} {size_mb:>8.1f}  {os.getloadavg()[0]:.2f}"
        )
        del index, rows
    return 0


if __name__ == "__main__":
    sys.exit(main())
