"""Fixtures for the live sources: strict fake HubSpot and Zendesk servers (and the fake Slack
Web API of tests/slack), a container whose settings carry their tokens, and a sources file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "slack"))

from fake_hubspot import FakeHubSpot  # noqa: E402
from fake_zendesk import FakeZendesk  # noqa: E402

from c360.container import Container  # noqa: E402


@pytest.fixture
def zendesk():
    with FakeZendesk() as fake:
        yield fake


@pytest.fixture
def hubspot():
    with FakeHubSpot() as fake:
        yield fake


@pytest.fixture
def live_settings(settings):
    return settings.model_copy(
        update={
            "hubspot_token": SecretStr("hs-test-token"),
            "zendesk_email": "agent@example.com",
            "zendesk_api_token": SecretStr("zd-test-token"),
            "slack_bot_token": SecretStr("xoxb-test-token"),
        }
    )


@pytest.fixture
def live(live_settings, embeddings, clock) -> Container:
    embeddings.texts_embedded = 0
    return Container(live_settings, embeddings=embeddings, clock=clock)
