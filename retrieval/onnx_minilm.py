"""all-MiniLM-L6-v2 through ONNX Runtime and ``tokenizers``: the same vectors as
sentence-transformers, without importing PyTorch.

A query embedding through PyTorch costs a process about 5 s and 500 MB before the first
token (importing torch, transformers and sentence-transformers, then loading the weights);
ONNX Runtime loads the same weights in a fraction of that (``bench/bench_cli.py``). The ONNX
file is made once from the packaged weights (:func:`export`, which needs torch and the
``onnx`` package: it runs at ``c360 ingest``/``c360 demo``, or on first use) and kept in the
data directory under the hash of the model's files, so a changed model gets a new file and
never a stale one. The graph holds the whole sentence-transformers pipeline after the
tokenizer: the BERT encoder, mean pooling over the attention mask (``sum / clamp(count,
1e-9)``) and L2 normalisation (``x / max(||x||, 1e-12)``), written with the same torch
operations as ``sentence_transformers``' Pooling and Normalize modules. Tokenising is the
model's own ``tokenizer.json`` with sentence-transformers' settings: truncation at
``max_seq_length`` (256, from ``sentence_bert_config.json``, not the 128 written in
``tokenizer.json``) and padding to the longest text of the batch.

Every export is checked against PyTorch on a few texts before it is published, and the file
is written under a temporary name and renamed into place while holding a lock, so concurrent
processes (two gunicorn workers, an ingest beside a server) never see half a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np

DIM = 384
ONNX_OPSET = 17
# The files whose bytes decide the vectors (README and .gitattributes do not).
MODEL_FILES = (
    "config.json",
    "model.safetensors",
    "modules.json",
    "sentence_bert_config.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "1_Pooling/config.json",
)
# Texts an export is checked on before it is published: short, long (past the 256-token
# truncation), non-ASCII, and padded beside each other in one batch.
_CHECK_TEXTS = [
    "Acme Corp asked about the invoice",
    "Zürich office: Übergabe des Vertrags an François, ça marche — 東京 支店",
    " ".join(["The customer called about a duplicate charge on the March statement."] * 40),
    "",
]
CHECK_MIN_COSINE = 0.9999


class OnnxExportError(RuntimeError):
    """The ONNX model could not be made (torch/onnx missing) or did not match PyTorch."""


# --- where the ONNX file lives ---------------------------------------------------------------
def model_fingerprint(model_path: Path, cache_dir: Path) -> str:
    """SHA-256 over the names and bytes of the model's files. Reading 90 MB costs about 0.2 s,
    so the digest is remembered in ``cache_dir`` under the files' sizes and modification times:
    a normal run only stats them."""
    model_path = Path(model_path)
    files = [model_path / name for name in MODEL_FILES if (model_path / name).is_file()]
    if not files:
        raise FileNotFoundError(f"no model files under {model_path}")
    stamp = hashlib.sha256()
    for f in files:
        st = f.stat()
        stamp.update(f"{f.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    memo = cache_dir / f"fingerprint-{stamp.hexdigest()[:24]}.txt"
    with contextlib.suppress(OSError):
        known = memo.read_text().strip()
        if len(known) == 64:
            return known
    digest = hashlib.sha256()
    for f in files:
        digest.update(str(f.relative_to(model_path)).encode() + b"\0")
        with f.open("rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(block)
    value = digest.hexdigest()
    with contextlib.suppress(OSError):
        _atomic_write_bytes(memo, value.encode() + b"\n")
    return value


def onnx_path(model_path: Path, cache_dir: Path) -> Path:
    """Where the ONNX export of ``model_path`` lives (it may not exist yet)."""
    fingerprint = model_fingerprint(model_path, cache_dir)
    return cache_dir / f"all-MiniLM-L6-v2-{fingerprint[:16]}.onnx"


def ensure_onnx(model_path: Path, cache_dir: Path) -> Path:
    """The ONNX file for ``model_path``, exported now if it is missing (one process exports;
    the others wait for its lock and then find the file)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = onnx_path(model_path, cache_dir)
    if target.exists():
        return target
    with _file_lock(cache_dir / ".export.lock"):
        if not target.exists():  # another process may have finished it while we waited
            export(model_path, target)
    return target


def export(model_path: Path, target: Path) -> None:
    """Export the model (encoder + mean pooling + normalisation) to ``target`` atomically,
    after checking it against sentence-transformers (cosine >= 0.9999 on a few texts)."""
    try:
        import onnx  # noqa: F401  (torch's exporter needs it; fail here with a clear message)
        import torch
        from transformers import AutoModel
    except ImportError as exc:  # pragma: no cover - both are dependencies of the project
        raise OnnxExportError(
            f"exporting the embedding model to ONNX needs torch and onnx ({exc.name} is missing)"
        ) from exc
    import warnings

    model_path = Path(model_path)
    max_len = _max_seq_length(model_path)

    class SentenceEmbedding(torch.nn.Module):
        """sentence-transformers' Transformer -> Pooling(mean) -> Normalize, as one graph."""

        def __init__(self, encoder) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(1)
            counts = torch.clamp(mask.sum(1), min=1e-9)
            return torch.nn.functional.normalize(summed / counts, p=2, dim=1)

    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with warnings.catch_warnings(), quiet_transformers():
            warnings.simplefilter("ignore")
            # Eager attention: SDPA's shortcuts (no mask when nothing is padded) would be
            # traced as constants; the example batch is padded for the same reason.
            encoder = AutoModel.from_pretrained(str(model_path), attn_implementation="eager")
            encoder.eval()
            module = SentenceEmbedding(encoder).eval()
            tokenizer = load_tokenizer(model_path, max_len)
            example = _encode_batch(tokenizer, ["a padded example text with words", "short"])
            inputs = tuple(torch.from_numpy(example[k]) for k in _INPUTS)
            with torch.no_grad():
                torch.onnx.export(
                    module,
                    inputs,
                    str(tmp),
                    input_names=list(_INPUTS),
                    output_names=["sentence_embedding"],
                    dynamic_axes={
                        **{name: {0: "batch", 1: "tokens"} for name in _INPUTS},
                        "sentence_embedding": {0: "batch"},
                    },
                    opset_version=ONNX_OPSET,
                    do_constant_folding=True,
                    dynamo=False,
                )
            _check_export(tmp, model_path, module, tokenizer)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _check_export(path: Path, model_path: Path, module, tokenizer) -> None:
    import torch

    batch = _encode_batch(tokenizer, _CHECK_TEXTS)
    with torch.no_grad():
        expected = module(*(torch.from_numpy(batch[k]) for k in _INPUTS)).numpy()
    got = OnnxMiniLM(model_path, path, threads=1, keep_optimised=False).encode(_CHECK_TEXTS)
    worst = float(np.min(np.sum(expected * got, axis=1)))
    if worst < CHECK_MIN_COSINE:
        raise OnnxExportError(
            f"the ONNX export of {model_path} differs from PyTorch (cosine {worst:.6f} < "
            f"{CHECK_MIN_COSINE}); it was not kept"
        )


# --- running it ------------------------------------------------------------------------------
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxMiniLM:
    """Sentence vectors from an exported model: tokenise, run, done (the graph pools and
    normalises). Thread-safe: ONNX Runtime sessions may be run from several threads."""

    def __init__(
        self,
        model_path: Path,
        onnx_file: Path,
        threads: int | None = None,
        batch_size: int = 64,
        keep_optimised: bool = True,
        prepack: bool = True,
    ) -> None:
        import onnxruntime as ort

        self.batch_size = batch_size
        self.tokenizer = load_tokenizer(Path(model_path), _max_seq_length(Path(model_path)))
        self.session = _session(ort, Path(onnx_file), threads, keep_optimised, prepack)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        # Longest first, as sentence-transformers does: batches of similar length pad less.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            chosen = order[start : start + self.batch_size]
            feed = _encode_batch(self.tokenizer, [texts[i] for i in chosen])
            (vectors,) = self.session.run(["sentence_embedding"], feed)
            out[chosen] = vectors
        return out


def optimised_path(ort_version: str, onnx_file: Path) -> Path:
    """Where the graph as this ONNX Runtime version optimises it is kept (its fused operators
    are that version's), beside the export; its weights are in :func:`weights_path`."""
    return onnx_file.with_name(f"{onnx_file.stem}.ort-{ort_version}-mapped.onnx")


def weights_path(optimised: Path) -> Path:
    """The optimised graph's weights, a side file its graph names (relative to its folder)."""
    return optimised.with_suffix(".weights")


def _session(
    ort, onnx_file: Path, threads: int | None, keep_optimised: bool = True, prepack: bool = True
):
    """An inference session over the graph as ONNX Runtime optimises it (fused attention,
    layer norm and GELU). Optimising takes a third of a session's start, so the optimised
    graph is kept beside the export, once per ONNX Runtime version, and later processes load
    it as it is. Its 90 MB of weights are kept in a side file, which ONNX Runtime maps into
    memory instead of parsing and copying them out of the graph: a session starts in about a
    quarter of the CPU time (0.06 s against 0.22 s) and a `c360 ask` peaks ~80 MB lower
    (``bench/bench_cli.py``). The side file is written before the graph that names it is
    renamed into place, under the export's lock, so no process finds a graph without it.

    Without ``prepack`` the session leaves the weights of its matrix products as they are
    instead of laying them out anew for the CPU's kernels: it starts in 0.01 s of CPU instead
    of 0.05-0.06 s, and each short query then takes ~4 ms more (batches: no difference
    measured); vectors differ by at most 1.5e-7. For a process that embeds a query or two
    (``MiniLMEmbeddings.expect_few_queries``)."""

    def options(level, run: bool = True) -> object:
        opts = ort.SessionOptions()
        opts.log_severity_level = 3  # errors only: nothing on a user's terminal
        opts.graph_optimization_level = level
        # Threads that wait for work sleep instead of spinning: the cores are shared (a
        # server's request threads, other processes), and a spinning thread takes them.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads:
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
        if run and not prepack:
            opts.add_session_config_entry("session.disable_prepacking", "1")
        return opts

    providers = ["CPUExecutionProvider"]
    level = ort.GraphOptimizationLevel
    optimised = optimised_path(ort.__version__, onnx_file)
    if keep_optimised:  # (an export's own check runs the file just exported, as it is)
        if not optimised.exists():
            with contextlib.suppress(OSError):
                _keep_optimised(
                    ort, onnx_file, optimised, options(level.ORT_ENABLE_EXTENDED, run=False)
                )
        if optimised.exists():
            return ort.InferenceSession(str(optimised), options(level.ORT_DISABLE_ALL), providers)
    # Cannot write beside the export (or asked not to): optimise in memory at each start.
    return ort.InferenceSession(str(onnx_file), options(level.ORT_ENABLE_EXTENDED), providers)


def _keep_optimised(ort, onnx_file: Path, optimised: Path, opts) -> None:
    with _file_lock(onnx_file.parent / ".export.lock"):
        if optimised.exists():  # another process kept it while we waited
            return
        tmp = optimised.with_name(f".{optimised.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        opts.optimized_model_filepath = str(tmp)
        opts.add_session_config_entry(
            "session.optimized_model_external_initializers_file_name",
            weights_path(optimised).name,
        )
        opts.add_session_config_entry(
            "session.optimized_model_external_initializers_min_size_in_bytes", "1024"
        )
        try:
            ort.InferenceSession(str(onnx_file), opts, ["CPUExecutionProvider"])
            os.replace(tmp, optimised)
        except Exception:  # a graph ONNX Runtime cannot save: optimised in memory at each start
            return
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        # The graph kept before the weights moved to a side file (same weights, inline).
        with contextlib.suppress(FileNotFoundError):
            onnx_file.with_name(f"{onnx_file.stem}.ort-{ort.__version__}.onnx").unlink()


def load_tokenizer(model_path: Path, max_len: int):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_len)  # tokenizer.json says 128; the model uses 256
    pad_id = tokenizer.token_to_id("[PAD]")
    tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token="[PAD]")
    return tokenizer


def _encode_batch(tokenizer, texts: list[str]) -> dict[str, np.ndarray]:
    encodings = tokenizer.encode_batch([str(t) for t in texts])
    return {
        "input_ids": np.asarray([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.asarray([e.attention_mask for e in encodings], dtype=np.int64),
        "token_type_ids": np.asarray([e.type_ids for e in encodings], dtype=np.int64),
    }


def _max_seq_length(model_path: Path) -> int:
    try:
        config = json.loads((model_path / "sentence_bert_config.json").read_text())
        return int(config["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return 256


# --- small helpers ---------------------------------------------------------------------------
def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


_thread_lock = threading.Lock()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock across processes (and threads of this one)."""
    import fcntl

    with _thread_lock, path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """transformers' own progress bar ("Loading weights ... 103/103") and info logs."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    verbosity = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if was_enabled:
            hf_logging.enable_progress_bar()
