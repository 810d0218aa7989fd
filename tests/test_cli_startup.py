"""What a command line process loads, and what it prints besides its answer.

`c360 --help` and an answer the store gives (counts, open complaints) import none of the heavy
packages; an answer that needs a query vector loads ONNX Runtime, never PyTorch,
sentence-transformers, Chroma, Bolt or LangChain. Nothing of a third party's (progress bars,
warnings) reaches stderr of `ask`/`brief`. Each case runs `c360` as its own process, as a user
would, and reads ``sys.modules`` at exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from fixtures.brief_records import customers, load

from c360.domain import Customer
from store.queries import customers_fingerprint

ROOT = Path(__file__).resolve().parents[1]
HEAVY = (
    "torch",
    "sentence_transformers",
    "transformers",
    "chromadb",
    "slack_bolt",
    "slack_sdk",
    "langchain",
    "langchain_core",
    "langchain_chroma",
    "alembic",
)
# Runs the real console entry point, then reports which top-level packages were imported.
DRIVER = """
import json, sys
from c360.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "loaded": loaded}), file=sys.__stderr__)
sys.exit(code)
"""


def run_c360(data_dir: Path, *argv: str) -> tuple[int, set[str], str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "C360_DATA_DIR": str(data_dir),
        "PYTHONWARNINGS": "default",  # a warning anyone raises would show on stderr
    }
    env.pop("C360_LLM", None)
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    *stderr_lines, report = proc.stderr.rstrip("\n").split("\n")
    result = json.loads(report)
    assert result["code"] == proc.returncode
    return proc.returncode, set(result["loaded"]), proc.stdout, "\n".join(stderr_lines)


@pytest.fixture
def store(container):
    load(container)
    _ = container.briefs  # name and field indexes built once here, like any earlier run
    return container.settings.data_dir


def test_help_imports_nothing_heavy(tmp_path):
    code, loaded, out, err = run_c360(tmp_path, "--help")
    assert code == 0 and "ask" in out and err == ""
    assert loaded.isdisjoint(HEAVY + ("onnxruntime", "numpy", "sqlalchemy")), loaded & set(HEAVY)


def test_an_answer_from_the_store_loads_no_model_and_no_index(store):
    code, loaded, out, err = run_c360(
        store, "ask", "Which open complaints does Globex Industries have?", "--no-log"
    )
    assert code == 0, err
    assert out.startswith("Globex Industries (customer C-GLOBEX)")
    assert err == ""
    light = HEAVY + ("onnxruntime", "tokenizers", "numpy", "rank_bm25")
    assert loaded.isdisjoint(light), loaded & set(light)


def test_an_answer_that_needs_a_query_vector_runs_onnx_and_stays_quiet(store):
    code, loaded, out, err = run_c360(
        store, "ask", "What did Acme Corp say about the dashboard?", "--no-log"
    )
    assert code == 0, err
    assert out.startswith("Acme Corp (customer C-ACME)")
    assert "onnxruntime" in loaded, "this question needs a query vector"
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)
    assert err == "", err  # no "Loading weights ... 103/103", no warnings


def test_a_brief_is_quiet_too(store):
    code, loaded, out, err = run_c360(store, "brief", "Globex Industries", "--no-log")
    assert code == 0 and out.startswith("Globex Industries (customer C-GLOBEX)")
    assert err == ""
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)


def test_the_pytorch_engine_is_quiet_as_well(store, monkeypatch):
    """The reference engine (C360_EMBED_BACKEND=torch) loads PyTorch, as asked, but its loader's
    progress bar stays off the user's terminal."""
    monkeypatch.setenv("C360_EMBED_BACKEND", "torch")
    code, loaded, out, err = run_c360(
        store, "ask", "What did Acme Corp say about the dashboard?", "--no-log"
    )
    assert code == 0 and out.startswith("Acme Corp (customer C-ACME)")
    assert "sentence_transformers" in loaded
    assert "Loading weights" not in err and err == "", err


def test_each_process_reads_the_name_index_the_last_one_kept_while_the_customers_are_the_same(
    store, container
):
    """`c360 ask` starts from the name index an earlier process kept on disk instead of
    rebuilding it from every customer row, and only while the customers are the same: an alias
    given by an ingest whose clock did not move (same count, same newest update time), a
    look-alike customer added later, a damaged file: the next process answers from the store
    as it is now."""
    globex = "Which open complaints does Globex Industries have?"
    code, _, out, err = run_c360(store, "ask", globex, "--no-log")
    assert code == 0 and err == "", err
    (kept,) = (store / "cache").glob("name-index-*.marshal")
    first = kept.stat().st_mtime_ns, kept.read_bytes()
    code, _, out, _ = run_c360(store, "ask", globex, "--no-log")
    assert code == 0 and out.startswith("Globex Industries (customer C-GLOBEX)")
    assert (kept.stat().st_mtime_ns, kept.read_bytes()) == first  # read, not rebuilt

    halvora = "What is the latest with Halvora Lending?"
    code, _, out, _ = run_c360(store, "ask", halvora, "--no-log")
    assert code == 1 and "C-RIM" not in out  # nobody has that name yet
    rimstone = next(c for c in customers() if c.customer_id == "C-RIM")
    with container.sessions() as session:
        before = customers_fingerprint(session)
    summary = container.ingest.add_records(
        [replace(rimstone, aliases=["Halvora Lending"])], source="crm"
    )
    assert not summary.errors and summary.counts["customer"]["updated"] == 1, summary
    with container.sessions() as session:  # the test clock stood still: same count, same time
        assert customers_fingerprint(session) == before
    code, _, out, err = run_c360(store, "ask", halvora, "--no-log")
    assert code == 0 and out.startswith("Rimstone Credit LLC (customer C-RIM)"), out + err

    # A look-alike added after the file was kept: a stale index would answer with Globex's
    # records, the one error we never make.
    berlin = Customer("C-GLOBEX-BER", "Globex Industries Berlin", domain="globex.de")
    assert not container.ingest.add_records([berlin], source="crm").errors
    code, _, out, err = run_c360(
        store, "ask", "Which open complaints does Globex Industries Berlin have?", "--no-log"
    )
    assert code == 0 and out.startswith("Globex Industries Berlin (customer C-GLOBEX-BER)"), out

    kept.write_bytes(b"\x00 not an index")
    code, _, out, err = run_c360(store, "ask", globex, "--no-log")
    assert code == 0 and err == "" and out.startswith("Globex Industries (customer C-GLOBEX)")
    assert kept.read_bytes() != b"\x00 not an index"  # rebuilt and kept again


def console_script(data_dir: Path, *argv: str) -> subprocess.CompletedProcess:
    """`c360` exactly as its console script runs it (``sys.exit(main())``, no arguments)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "C360_DATA_DIR": str(data_dir)}
    env.pop("C360_LLM", None)
    env.pop("PYTHONUNBUFFERED", None)  # a pipe buffers what is printed, as for a user's `| less`
    script = "import sys; from c360.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", script, *argv], env=env, capture_output=True, text=True, timeout=180
    )


def test_an_answer_ends_its_process_at_once_with_all_it_printed_and_wrote(store, container):
    """`ask` and `brief` leave without tearing the interpreter down: the whole answer is still
    out (the JSON parses), the exit code is the command's, and the exchange it logged is in
    the store for the next process."""
    proc = console_script(store, "ask", "What did Acme Corp say about the dashboard?", "--json")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    answer = json.loads(proc.stdout)  # all of it: a cut-off document would not parse
    assert answer["customer"]["customer_id"] == "C-ACME" and answer["logged_moment_id"]
    logged = container.moments.recent_exchanges(customer_id="C-ACME")
    assert answer["logged_moment_id"] in [m.moment_id for m in logged]
    proc = console_script(store, "brief", "Zorblatt Lending Partners", "--no-log")
    assert proc.returncode == 1 and proc.stderr == ""
    assert "could not find a customer" in proc.stdout


def test_a_command_that_runs_on_keeps_the_garbage_collector(tmp_path):
    """The console script starts with Python's cyclic collector off (start-up makes only
    objects that live as long as the process); `ask` and `brief` end with their answer, but a
    command that may run for hours (`serve`, `worker`, `ingest`, here `db upgrade`) gets it
    back before it starts its work."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "C360_DATA_DIR": str(tmp_path)}
    script = (
        "import gc, sys; from c360.cli import main; code = main(); "
        "print('collector on' if gc.isenabled() else 'collector off'); sys.exit(code)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, "db", "upgrade"],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("database at newest schema")
    assert proc.stdout.rstrip().endswith("collector on")
