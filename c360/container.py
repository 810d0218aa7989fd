"""The composition root: the one place that builds settings, the engine, the embedding
model, the Chroma index and the services, and passes them down. Everything is built lazily
(first use) and once, so `c360 --help` loads no model and tests can swap a part by passing it
in before first use."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from c360.settings import Settings


class Container:
    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        self.settings = settings or Settings()
        for name, value in overrides.items():  # e.g. chat_model=FakeChat(...), clock=...
            self.__dict__[name] = value

    # --- infrastructure -------------------------------------------------------------
    @cached_property
    def engine(self):
        from store.db import make_engine, migrate

        engine = make_engine(self.settings.resolved_database_url)
        migrate(engine)
        return engine

    @cached_property
    def sessions(self):
        from store.db import session_factory

        return session_factory(self.engine)

    @cached_property
    def embeddings(self):
        from retrieval.embeddings import MiniLMEmbeddings

        return MiniLMEmbeddings(
            self.settings.resolved_model_path(),
            batch_size=self.settings.embed_batch_size,
            backend=self.settings.embed_backend,
            cache_dir=self.settings.resolved_model_cache_dir,
        )

    def limit_model_threads(self, threads: int) -> None:
        """Cap the CPU threads of one embedding forward pass (``c360 serve``: the other cores
        stay with the request threads). Loads nothing: the cap applies when the model loads."""
        self.embeddings.limit_threads(max(1, threads))

    @cached_property
    def index(self):
        from retrieval.index import VectorIndex

        return VectorIndex.from_settings(self.settings, self.embeddings)

    @cached_property
    def chat_model(self):
        """LangChain chat model when C360_LLM=provider:model is set, else None (deterministic path)."""
        if not self.settings.llm:
            return None
        from langchain.chat_models import init_chat_model

        return init_chat_model(self.settings.llm, temperature=0)

    @cached_property
    def clock(self):
        from c360.clock import SystemClock

        return SystemClock()

    # --- services -------------------------------------------------------------------
    @cached_property
    def ingest(self):
        from c360.services.ingest import IngestService

        service = IngestService(
            self.sessions, self.embeddings, self.index, self.settings, clock=self.clock
        )
        # Ownership rules look at every committed batch's new records (issue 4).
        service.add_listener(self.ownership.on_records)
        if "brief_service" in self.__dict__:  # built first: its indexes follow this ingest
            self._follow_ingests(self.brief_service, service)
        return service

    @cached_property
    def sync(self):
        from c360.services.sync.service import SyncService

        # The ingest service as a provider: `c360 sources` needs no model.
        return SyncService(self.sessions, lambda: self.ingest, self.settings, clock=self.clock)

    @cached_property
    def doctor(self):
        from c360.services.doctor import DoctorService

        # The ingest service as a provider: a check alone needs no model and no listeners.
        return DoctorService(self.sessions, self.index, lambda: self.ingest, clock=self.clock)

    @cached_property
    def moments(self):
        from c360.services.moments import MomentService

        return MomentService(self.sessions, lambda: self.ingest, clock=self.clock)

    @cached_property
    def briefs(self):
        """The brief service as users see it: every answer ends with how fresh each live
        source is, and each citation names its source (issue 11)."""
        from c360.services.source_notes import SourcedBriefs

        return SourcedBriefs(self.brief_service, lambda: self.sync, self.sessions, self.clock)

    @cached_property
    def brief_service(self):
        service = self.make_brief_service(self.chat_model)
        # An ingest service, whenever one is built, tells this one of its batches; a process
        # that only answers (`c360 ask`) never builds one, nor the ownership rules it runs.
        if "ingest" in self.__dict__:
            self._follow_ingests(service, self.ingest)
        return service

    def make_brief_service(self, chat_model):
        """A brief service over this container's store, model and index, answering through
        ``chat_model`` (None: no LLM). ``brief_service`` is the one the container wires; a test
        makes another with a fake chat model."""
        from c360.brief import BriefService

        return BriefService(
            self.sessions,
            self.embeddings,
            self.index,
            self.settings,
            moments=self.moments,
            chat_model=chat_model,
            clock=self.clock,
        )

    @staticmethod
    def _follow_ingests(brief_service, ingest) -> None:
        """New or renamed customers resolve at once; new field values count at once;
        customers a live source deleted or merged away stop resolving at once."""
        for listener in brief_service.ingest_listeners:
            ingest.add_listener(listener)
        ingest.add_removal_listener(brief_service.on_customers_removed)

    @cached_property
    def slack_events(self):
        """What the bot remembers between Slack deliveries (dedupe, a thread's customer)."""
        from c360.services.slack_events import SlackEventService

        service = SlackEventService(self.sessions, self.clock)
        if self.settings.sources_file is not None:  # live capture of mapped channels (issue 11)
            service.on_channel_message(self.sync.capture_channel_message)
        return service

    @cached_property
    def notifier(self):
        """Slack posting for ownership alerts (bot.notifier.SlackNotifier over SLACK_API_URL);
        None when SLACK_BOT_TOKEN is not set: alerts then wait in the outbox for a worker that has it."""
        if (
            self.settings.slack_bot_token is None
            or not self.settings.slack_bot_token.get_secret_value()
        ):
            return None
        from bot.notifier import SlackNotifier

        return SlackNotifier.from_settings(self.settings, self.clock)

    @cached_property
    def ownership(self):
        from c360.ownership.service import OwnershipService

        # Providers, not instances: the rules run inside every ingest, and must not build the
        # Slack client or the brief service (which loads the model) until one is needed.
        return OwnershipService(
            self.sessions,
            self.settings,
            clock=self.clock,
            notifier=lambda: self.notifier,
            briefs=lambda: self.briefs,
        )
