"""The field values a question may name (products, issues, states, channels), as the brief
knows them: the field-value index (``retrieval.fieldindex``) kept fresh against the store
(``c360.freshness``), its words, and the issue vocabulary embedded once (issues named in other
words). Resolution and the answer's field match both read it."""

from __future__ import annotations

from typing import Any

from c360.domain import Complaint, Customer
from c360.freshness import Freshness
from retrieval import describe as Ds
from retrieval import fieldindex as FI
from retrieval import question as Qn
from retrieval.resolver import STOPWORDS, normalize_tokens

FIELDS_REFRESH_SECONDS = 10.0  # as the name index: how stale another process's ingest may be


def without_name(question: str, customer: Customer) -> str:
    """The question minus the customer's own name: inside one customer's records the name
    says nothing about relevance, and it would pull the profile record to the top."""
    name_words = {
        w for label in (customer.name, *customer.aliases) for w in normalize_tokens(label)
    }
    kept = [
        w
        for w in question.split()
        if not set(normalize_tokens(w)) <= name_words or not normalize_tokens(w)
    ]
    topic = " ".join(kept).strip()
    return topic or question


class Vocabulary:
    """Which customers' complaints carry which field values: built on first use, kept up to
    date by this process's ingests (``on_ingest``, wired by the container) and, every
    ``FIELDS_REFRESH_SECONDS``, by reading the complaints other processes (a `c360 ingest`
    beside the server) wrote since."""

    def __init__(self, sessions, embeddings, memo=None) -> None:
        self.sessions = sessions
        self.embeddings = embeddings
        self.memo = memo  # the vocabulary's vectors as earlier processes embedded them
        self._fields: FI.FieldIndex | None = None
        # The timer, lock and watermark (the newest complaint write seen) of the field index.
        self.freshness = Freshness(FIELDS_REFRESH_SECONDS)
        self._meanings: Ds.Meanings | None = None
        self._meanings_seen = 0
        self._field_words: tuple[int, frozenset[str]] = (-1, frozenset())
        self._value_words: tuple[int, frozenset[str]] = (-1, frozenset())

    def _look(self, since: Any) -> Any:
        index = self._fields or FI.FieldIndex()
        with self.sessions() as session:
            since = FI.add_complaints_since(session, index, since)
        self._fields = index
        return since

    @property
    def fields(self) -> FI.FieldIndex:
        self.freshness.check(self._look)
        assert self._fields is not None
        return self._fields

    @property
    def built(self) -> bool:
        """Whether the index has been built (a server builds it at start, see ``warm``)."""
        return self._fields is not None

    def on_ingest(self, summary, records) -> None:
        """Signature of ``IngestService.add_listener``: this process's new complaints count at
        once (an index not built yet is built whole on first use)."""
        index = self._fields
        if index is None:
            return
        with self.freshness.lock:
            for r in records:
                if isinstance(r, Complaint):
                    index.add(r.customer_id, r.category, r.attributes)

    @property
    def field_words(self) -> frozenset[str]:
        """The words of the product vocabulary (category and sub-product values: short
        phrases such as "Payday loan"), minus common words: never a customer's name on their
        own. Issue texts are long sentences whose ordinary words ("third" party, "applied")
        are distinctive name words of real companies, so they do not count here."""
        fields = self.fields
        if self._field_words[0] != len(fields.raw):
            words = {
                w
                for k, raw in fields.raw.items()
                if k[0] in Ds.PRODUCT_FIELDS
                for w in normalize_tokens(raw)
                if len(w) > 2 and w not in STOPWORDS
            }
            self._field_words = (len(fields.raw), frozenset(words))
        return self._field_words[1]

    @property
    def value_words(self) -> frozenset[str]:
        """Every word of every field value (rebuilt only when new values arrive)."""
        fields = self.fields
        if self._value_words[0] != len(fields.raw):
            self._value_words = (len(fields.raw), FI.value_words(fields))
        return self._value_words[1]

    @property
    def meanings(self) -> Ds.Meanings:
        """The issue and product vocabulary embedded once (issues named in other words)."""
        if self._meanings is None:
            self._meanings = Ds.Meanings(self.embeddings, self.memo)
        fields = self.fields
        if len(fields.raw) != self._meanings_seen:
            self._meanings.add(v for k, v in fields.raw.items() if k[0] in Ds.ISSUE_FIELDS)
            self._meanings_seen = len(fields.raw)
        return self._meanings

    def in_field_words(self, question: str, customer: Customer | None, now) -> str:
        """The question, plus the field value its issue phrase means when it names none exactly
        ("unexpected fees" -> "Charged fees or interest you didn't expect"), so the records it
        asks for are matched by their fields. The customer's own name is not an issue."""
        # An issue named exactly is matched as it is; a product named exactly ("the loan")
        # says nothing of what went wrong, so the issue phrase is still read ("a hard time
        # paying the loan back" -> "Struggling to pay your loan").
        if any(k[0] in Ds.ISSUE_ONLY_FIELDS for k in self.fields.named(question)):
            return question
        topic = without_name(question, customer) if customer is not None else question
        parsed = Qn.parse(topic, now=now)
        phrase = Ds.issue_phrase(parsed.without_spans(topic, Ds.MARK))
        if not phrase or self.embeddings is None:
            return question
        # Only the values this customer's complaints carry: another customer's value, however
        # close ("Problem lowering your monthly payments" for "payment problems"), selects none
        # of these records, where the customer's own ("Problem when making payments") does.
        fields = self.fields
        vocabulary = [
            (k[0], raw)
            for k, raw in fields.raw.items()
            if customer is None or customer.customer_id in fields.customers.get(k, ())
        ]
        close = Ds.closest_values(phrase, vocabulary, self.meanings.similarity(phrase), limit=1)
        if not close or close[0][2] < Ds.FIT_CLEAR:
            return question
        return f"{question} ({close[0][1]})"
