"""The 360° brief's facade: resolve the customer, read only that customer's records, answer,
compose fixed sections in which every line cites the records it came from, and log the exchange.

Flow of ``ask``: ``resolve`` (name index, then descriptions) -> ``facts.gather`` and
``answer.answer`` in one session (index-backed reads) -> ``sections`` and rule-based next
actions -> optional LLM prose (``llm``), filtered by the grounding check -> the citation guard
(``grounding.Citations``) -> the exchange logged as a moment.

Without a chat model the result is deterministic (same store + same clock = same brief).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from c360.brief import facts as Fa
from c360.brief import sections as S
from c360.brief.answer import Answer, answer
from c360.brief.facts import Facts
from c360.brief.grounding import Citations
from c360.brief.llm import llm_items
from c360.brief.picker import CustomerPicker
from c360.brief.resolve import QuestionResolver, reader_tz
from c360.brief.result import BriefResult, Item, Section, render
from c360.brief.vocabulary import Vocabulary
from c360.domain import Asker
from c360.ports import BriefsPort, ResolvedReference
from prompts import brief as W
from prompts import resolution as R
from retrieval.fieldindex import FieldIndex
from retrieval.name_cache import NameIndexCache
from retrieval.resolver import Candidate, CustomerResolver, Resolution
from retrieval.vector_memo import VectorMemo
from store import queries as Q


@dataclass(eq=False)
class BriefService(BriefsPort):
    sessions: Any  # a session factory (``store.db.session_factory``)
    embeddings: Any
    index: Any  # the global vector index (descriptions, the baseline)
    settings: Any
    moments: Any = None  # logs each exchange (``MomentService``)
    chat_model: Any = None  # optional LLM prose
    clock: Any = None

    def __post_init__(self) -> None:
        from c360.clock import SystemClock

        self.clock = self.clock or SystemClock()
        self.resolver = CustomerResolver(self.index, self.embeddings, cache=self._name_cache())
        self.vocabulary = Vocabulary(self.sessions, self.embeddings, self._vector_memo())
        self.picker = CustomerPicker(self.sessions)  # typeahead: prefixes of names, ids, domains
        # The clock is read at each use: an evaluation swaps it for the set's own day.
        self.resolution = QuestionResolver(
            self.sessions, self.resolver, self.vocabulary, lambda: self.clock.now()
        )

    def _name_cache(self) -> NameIndexCache | None:
        if self.settings is None:
            return None
        return NameIndexCache(
            self.settings.resolved_index_cache_dir, self.settings.resolved_database_url
        )

    def _vector_memo(self) -> VectorMemo | None:
        identity = getattr(self.embeddings, "identity", None)
        if self.settings is None or identity is None:
            return None
        return VectorMemo(self.settings.resolved_index_cache_dir, identity)

    @property
    def ingest_listeners(self) -> tuple:
        """What must see every committed ingest batch (the container wires them): new or
        renamed customers resolve at once, new field values count at once."""
        return (self.on_ingest_names, self.vocabulary.on_ingest)

    def on_customers_removed(self, customer_ids: list[str]) -> None:
        """Customers a live source deleted or merged away no longer resolve (those another
        source's records keep are read again)."""
        self.picker.invalidate()
        with self.sessions() as session:
            self.resolver.customers_changed(session, customer_ids)

    def on_ingest_names(self, summary, records) -> None:
        """New or renamed customers resolve at once and show in the picker."""
        ids = self.resolver.changed_customers(records)
        if ids:
            self.picker.invalidate()
            with self.sessions() as session:
                self.resolver.customers_changed(session, ids)

    @property
    def fields(self) -> FieldIndex:
        """The field-value index, kept fresh (``vocabulary.Vocabulary``)."""
        return self.vocabulary.fields

    # --- public API ----------------------------------------------------------------------------
    def warm(self) -> None:
        """Build the name and field indexes and load the model now (server start), not on the
        first question."""
        self.resolution.fresh_resolver()
        _ = self.fields
        _ = self.vocabulary.meanings  # the issue vocabulary embedded (issues named in other words)
        if self.embeddings is not None:
            self.embeddings.encode_query("warm up")
        # A brief and a question, unlogged, for a customer with a short history and one with
        # a long one (their reads differ), so the first user does not pay for preparing the
        # store's statements (each shape is built and compiled once per process).
        _ = self.resolver.names.vocab  # the typo-correction vocabulary
        names = self.resolver.names.names
        if not names:
            return
        with self.sessions() as session:
            long_history = Q.a_customer_with_more_complaints_than(session, Fa.SMALL_HISTORY)
        value = next(iter(self.fields.raw.values()), "billing")
        questions = [
            None,
            "What are the latest open complaints about?",
            f"complaints about {value}",
        ]
        for cid in dict.fromkeys([min(names), long_history]):
            if cid not in names:
                continue
            resolution = Resolution("resolved", cid, names[cid], "warm-up", [])
            try:
                for question in questions:
                    self._build(resolution, question, use_llm=False)  # no model call at start
            except LookupError:  # removed meanwhile: nothing to warm with
                pass

    def find_customers(self, text: str, limit: int = 10) -> list[Candidate]:
        """For pickers: prefixes of names, aliases, ids, domains, then name matches."""
        return self.picker.find(text, limit, self.resolution.fresh_resolver().find(text, limit))

    def resolve_reference(self, ref: str, limit: int = 5) -> ResolvedReference:
        """A bare customer reference (``/moment Acme: ...``): the customer when exactly one
        candidate's id or name is ``ref`` itself, or when the resolver's own rule accepts one
        by name (a clear leader); else the candidates to pick from. Names only: a reference
        is not a description."""
        candidates = self.find_customers(ref, limit=limit)
        typed = ref.strip().lower()
        exact = [c for c in candidates if typed in (c.customer_id.lower(), c.name.lower())]
        if len(exact) == 1:
            return ResolvedReference(exact[0].customer_id, exact[0].name, [exact[0]])
        verdict = self.resolution.fresh_resolver().resolve(ref, use_description=False)
        if verdict.status == "resolved":
            return ResolvedReference(verdict.customer_id, verdict.name, verdict.candidates)
        return ResolvedReference(candidates=candidates)

    def resolve(self, text: str, context_customer_id: str | None = None, tz=None) -> Resolution:
        """Which customer ``text`` is about (``resolve.QuestionResolver``); ``tz``: the
        reader's time zone, for "yesterday" and "last month"."""
        return self.resolution.resolve(text, context_customer_id, tz)

    def ask(
        self, question: str, asker: Asker, context_customer_id: str | None = None, log: bool = True
    ) -> BriefResult:
        resolution = self.resolve(question, context_customer_id, reader_tz(asker))
        return self._respond(resolution, question, question, asker, log)

    def brief(self, customer_ref: str, asker: Asker, log: bool = True) -> BriefResult:
        resolution = self.resolve(customer_ref, None)
        return self._respond(resolution, None, customer_ref, asker, log)

    # --- steps ---------------------------------------------------------------------------------
    def _respond(
        self, resolution: Resolution, question: str | None, ref: str, asker: Asker, log: bool
    ) -> BriefResult:
        if not resolution.resolved:
            if resolution.status == "ambiguous":
                answer_text = R.ambiguous(
                    ref,
                    [(c.customer_id, c.name, c.score, c.reason) for c in resolution.candidates],
                )
            else:
                answer_text = W.not_found(ref)
            return BriefResult(
                question,
                None,
                list(resolution.candidates),
                answer_text,
                status=resolution.status,
                resolution=resolution.explain(),
            )
        result = self._build(resolution, question, tz=reader_tz(asker))
        result.resolution = resolution.explain()
        if log and self.moments is not None:
            first = [it.text for s in result.sections[:1] for it in s.items[:2]]
            short = W.short_answer(result.customer["name"], first)
            result.logged_moment_id = self.moments.log_exchange(
                resolution.customer_id,
                asker,
                question or f"brief {ref}",
                short,
                [c.record_id for c in result.citations],
                meta={"customer_name": result.customer["name"]},  # App Home shows names
            )
        return result

    def read(self, customer_id: str, question: str | None) -> tuple[Facts, Answer]:
        """What the brief states and what answers the question, read in one session."""
        now = self.clock.now()
        with self.sessions() as session:
            facts = Fa.gather(session, customer_id, now, self.settings.recent_moments)
            if not question:
                return facts, Answer()
            fields = self.fields
            found = answer(
                session,
                facts,
                question,
                now,
                fields,
                lambda q, customer: self.vocabulary.in_field_words(q, customer, self.clock.now()),
                self.embeddings,
            )
        return facts, found

    def _build(
        self, resolution: Resolution, question: str | None, use_llm: bool = True, tz=None
    ) -> BriefResult:
        now = self.clock.now()
        facts, found = self.read(resolution.customer_id, question)
        cust = facts.customer
        reg = Citations(cust.customer_id, today=now, tz=tz)
        cust_id = reg.add(cust)
        sections: list[Section] = []

        dropped: list[str] = []
        llm_used = False
        chat_model = self.chat_model if use_llm else None
        if question or chat_model is not None:
            items = [Item(text, reg.ids(recs)) for text, recs in found.lines]
            if chat_model is not None:
                llm, dropped = llm_items(chat_model, question, facts, found.evidence, reg)
                if llm:
                    items, llm_used = llm, True
            if items:
                sections.append(Section(W.TITLE_ANSWER if question else W.TITLE_SUMMARY, items))

        sections.append(Section(W.TITLE_PROFILE, S.profile(cust, cust_id)))
        sections.append(Section(W.TITLE_RECENT, S.recent(facts, reg, cust_id)))
        open_items, theme_items = S.complaints(facts, reg, cust_id, now)
        sections.append(Section(W.TITLE_OPEN, open_items))
        sections.append(Section(W.TITLE_THEMES, theme_items))
        tone = S.tone(facts, now)
        sections.append(Section(W.TITLE_SENTIMENT, [S.tone_item(tone, reg, cust_id)]))
        sections.append(Section(W.TITLE_QUESTIONS, S.questions(facts, reg, cust_id)))
        actions = S.actions(facts, reg, cust_id, tone, now, self.settings.key_account_arr)

        sections, actions = reg.guard(sections, actions)
        sections = reg.flag(sections)
        lead = S.lead(facts, reg, tone, question, sections, now, tz)
        result = BriefResult(
            question=question,
            customer={"customer_id": cust.customer_id, "name": cust.name},
            candidates=list(resolution.candidates),
            answer="",
            sections=sections,
            next_actions=actions,
            citations=reg.used(sections, actions, lead),
            customer_record=cust,
            status="resolved",
            method=resolution.method,
            llm_used=llm_used,
            dropped_sentences=dropped,
            lead=lead,
        )
        result.answer = render(result)
        return result
