"""The ONNX engine of the embedding port gives the vectors sentence-transformers gives, so a
store built with either engine answers the same under the other.

The 1,000 texts are real: CFPB complaint narratives (many past the model's 256-token
truncation), the short field values and company names questions are made of, telco customer
rows, and texts with accents, CJK and emoji; they are embedded in batches of mixed lengths, so
padding is exercised as it is in ingest."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from retrieval.embeddings import MiniLMEmbeddings
from retrieval.onnx_minilm import (
    OnnxMiniLM,
    ensure_onnx,
    load_tokenizer,
    model_fingerprint,
    onnx_path,
    weights_path,
)

ROOT = Path(__file__).resolve().parents[2]


def real_texts(shared_data: Path, n: int = 1000) -> list[str]:
    cfpb = shared_data / "cfpb"
    with (cfpb / "complaints_2023_payday_personal_loan_narratives.csv").open(
        encoding="utf-8", newline=""
    ) as fh:
        rows_2023 = list(csv.DictReader(fh))
    with (cfpb / "complaints_2019_2020_sample.csv").open(encoding="utf-8", newline="") as fh:
        rows_2019 = list(csv.DictReader(fh))
    with (shared_data / "telco" / "Telco-Customer-Churn.csv").open(
        encoding="utf-8", newline=""
    ) as fh:
        telco = list(csv.DictReader(fh))
    narratives = [
        r["Consumer complaint narrative"] for r in rows_2023 if r["Consumer complaint narrative"]
    ]
    fields = sorted({r[k] for r in rows_2019 for k in ("Company", "Issue", "Sub-issue", "Product") if r.get(k)})  # fmt: skip
    telco_rows = [", ".join(f"{k} {v}" for k, v in list(r.items())[:8]) for r in telco]
    non_ascii = [
        "Zürich: la facture de François n'a pas été remboursée — ça traîne depuis mars",
        "東京支店のお客様から請求書の二重請求について問い合わせがありました",
        "Клиент жалуется на двойное списание по карте",
        "El cliente pidió un reembolso 💳 por el cargo duplicado ✅",
        "  leading and trailing spaces  ",
        "",
        "\u00a0non-breaking\u2003spaces and a\ttab",
    ]
    texts = narratives[:220] + fields[:380] + telco_rows[:250] + non_ascii
    # Non-ASCII inside long texts too: the accents and scripts next to truncation.
    texts += [f"Über {t[:400]} — 支払い" for t in narratives[220 : 220 + (n - len(texts))]]
    return texts[:n]


@pytest.fixture(scope="module")
def torch_reference():
    from c360.settings import Settings

    return MiniLMEmbeddings(Settings().resolved_model_path(), backend="torch").load()


@pytest.mark.slow
def test_onnx_vectors_match_pytorch_on_1000_real_texts(embeddings, torch_reference, shared_data):
    texts = real_texts(shared_data)
    assert len(texts) == 1000
    tokenizer = load_tokenizer(Path(embeddings.model_path), 256)
    lengths = [len(e.ids) for e in tokenizer.encode_batch(texts)]
    assert sum(n == 256 for n in lengths) >= 200, "the set must hold texts cut at 256 tokens"
    assert sum(any(ord(c) > 127 for c in t) for t in texts) >= 50

    onnx_vectors = embeddings.encode(texts)
    torch_vectors = torch_reference.encode(texts)

    assert embeddings.backend == "onnx" and torch_reference.backend == "torch"
    assert onnx_vectors.shape == torch_vectors.shape == (1000, 384)
    np.testing.assert_allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(onnx_vectors * torch_vectors, axis=1)
    worst = int(np.argmin(cosine))
    assert cosine.min() >= 0.9999, (cosine.min(), texts[worst][:80])
    # Nearest neighbours agree too: the same text ranks first among the other engine's vectors.
    assert (np.argmax(onnx_vectors @ torch_vectors.T, axis=1) == np.arange(1000)).mean() > 0.99


def test_a_text_embeds_the_same_alone_and_padded_in_a_batch(embeddings):
    short, long = "refund for the duplicate invoice", " ".join(["the sync failed again"] * 120)
    alone = embeddings.encode([short])[0]
    batched = embeddings.encode([long, short, ""])[1]
    assert float(alone @ batched) > 0.99999


def test_a_model_started_for_a_few_queries_gives_the_same_vectors(embeddings):
    """`c360 ask` starts its session without repacking the weights (a faster start); its
    query vectors are those of a server's or an ingest's session."""
    few = MiniLMEmbeddings(embeddings.model_path, cache_dir=embeddings.cache_dir)
    few.expect_few_queries()
    texts = ["What did Acme Corp say about the Salesforce sync?", "unexpected fees", "x"]
    options = few._loaded().session.get_session_options()
    assert options.get_session_config_entry("session.disable_prepacking") == "1"
    assert np.abs(few.encode(texts) - embeddings.encode(texts)).max() < 1e-6
    assert embeddings.prepack  # the shared model: a long-running process's session


def test_the_export_is_kept_under_the_models_hash_and_reused(tmp_path, embeddings):
    model = Path(embeddings.model_path)
    cache = tmp_path / "models"
    cache.mkdir()
    fingerprint = model_fingerprint(model, cache)
    assert len(fingerprint) == 64
    assert onnx_path(model, cache).name == f"all-MiniLM-L6-v2-{fingerprint[:16]}.onnx"
    # The digest is remembered beside the export: later runs only stat the files.
    memo = list(cache.glob("fingerprint-*.txt"))
    assert [m.read_text().strip() for m in memo] == [fingerprint]
    # A model whose files differ gets another file, never the old export.
    other = tmp_path / "other-model"
    other.mkdir()
    for f in ("config.json", "tokenizer.json", "sentence_bert_config.json"):
        (other / f).write_bytes((model / f).read_bytes())
    (other / "config.json").write_text((model / "config.json").read_text() + " ")
    assert model_fingerprint(other, cache) != fingerprint


@pytest.mark.slow
def test_concurrent_processes_export_once_and_never_read_half_a_file(tmp_path, embeddings):
    """Three processes start on an empty cache at once: one exports under the lock, the others
    wait and load its finished file; no temporary file is left behind."""
    cache = tmp_path / "models"
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from retrieval.onnx_minilm import OnnxMiniLM, ensure_onnx
        model = Path({embeddings.model_path!r})
        path = ensure_onnx(model, Path({str(cache)!r}))
        vec = OnnxMiniLM(model, path, threads=1).encode(["Acme asked about the invoice"])[0]
        print(path.name, round(float(vec @ vec), 4))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err[-2000:] for _, err in outputs]
    lines = {out.strip() for out, _ in outputs}
    assert len(lines) == 1 and lines.pop().endswith(" 1.0")
    export = onnx_path(Path(embeddings.model_path), cache)
    # The export, and the graph as this ONNX Runtime optimised it (kept so later starts skip it)
    optimised = [p.name for p in cache.glob("*.onnx") if p != export]
    assert (
        export.exists() and len(optimised) == 1 and optimised[0].startswith(export.stem + ".ort-")
    )
    # Its weights are a side file ONNX Runtime maps into memory; the graph names it and holds
    # no weights of its own (90 MB inline would be parsed and copied at every start).
    graph = cache / optimised[0]
    assert weights_path(graph).stat().st_size > 80_000_000
    assert graph.stat().st_size < 1_000_000
    assert not list(cache.glob(".*.tmp"))
    # And the optimised graph, loaded as it is, gives this process's vectors.
    fresh = OnnxMiniLM(Path(embeddings.model_path), ensure_onnx(Path(embeddings.model_path), cache))
    texts = ["x y z", "Zürich — 東京 refund", " ".join(["the sync failed again"] * 120)]
    assert np.sum(fresh.encode(texts) * embeddings.encode(texts), axis=1).min() > 0.99999


def test_the_container_keeps_the_export_in_the_data_directory(tmp_path, monkeypatch):
    from c360.container import Container
    from c360.settings import Settings

    monkeypatch.delenv("C360_MODEL_CACHE_DIR", raising=False)
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    embeddings = Container(settings).embeddings
    assert embeddings.backend == "onnx"
    assert embeddings.cache_dir == (tmp_path / "data" / "models").resolve()
    torch_settings = Settings(data_dir=tmp_path / "d2", embed_backend="torch", _env_file=None)
    assert Container(torch_settings).embeddings.backend == "torch"


def test_an_unknown_backend_is_refused_by_name():
    with pytest.raises(ValueError, match="onnx"):
        MiniLMEmbeddings("/nowhere", backend="tensorflow")
