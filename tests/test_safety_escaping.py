"""The one escaping rule and the one mention builder (c360.safety.escaping): record and settings
text reaches Slack inert; only a well-formed Slack id becomes a mention."""

from __future__ import annotations

import pytest
from fixtures.hostile import HOSTILE_OWNER, SLACK_SEQUENCES, is_inert_in_slack

from c360.safety.escaping import mention, slack_escape, stored_mention


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here>", "&lt;!here&gt;"),
        ("<!subteam^S0123ABCD>", "&lt;!subteam^S0123ABCD&gt;"),
        ("<@U0123ABCD>", "&lt;@U0123ABCD&gt;"),
        (
            "<http://evil.example/claim|Click to claim>",
            "&lt;http://evil.example/claim|Click to claim&gt;",
        ),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("already &amp; escaped", "already &amp;amp; escaped"),  # shown exactly as written
        ("Opened 2026-11-21 · $1,100,000 · *bold*", "Opened 2026-11-21 · $1,100,000 · *bold*"),
    ],
)
def test_slack_control_sequences_are_escaped_and_everything_else_kept(text, expected):
    assert slack_escape(text) == expected


@pytest.mark.parametrize("sequence", SLACK_SEQUENCES)
def test_every_hostile_sequence_is_inert_once_escaped(sequence):
    escaped = slack_escape(sequence)
    assert is_inert_in_slack(escaped) and "<" not in escaped and ">" not in escaped


@pytest.mark.parametrize(
    ("target", "fallback", "expected"),
    [
        ("U0123ABCD", None, "<@U0123ABCD>"),
        ("W0123ABCD", None, "<@W0123ABCD>"),  # Enterprise Grid user id
        ("S0123ABCD", None, "<!subteam^S0123ABCD>"),
        (" U0123ABCD ", None, "<@U0123ABCD>"),
        ("Jane Doe", "account owner Jane Doe", "account owner Jane Doe"),
        (
            HOSTILE_OWNER,
            f"account owner {HOSTILE_OWNER}",
            "account owner &lt;!channel&gt; &lt;http://evil.example/claim|Click to claim&gt;",
        ),
        ("<@U0123ABCD>", None, "&lt;@U0123ABCD&gt;"),  # already a mention: text, not an id
        ("u0123abcd", None, "u0123abcd"),  # lower case is not Slack's id format
        ("C0123ABCD", None, "C0123ABCD"),  # a channel id never becomes a mention
        ("U0123ABCD|x", None, "U0123ABCD|x"),
        ("", "someone", "someone"),
    ],
)
def test_only_slack_ids_become_mentions(target, fallback, expected):
    assert mention(target, fallback) == expected


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("<@U0ACCOUNT1>", "<@U0ACCOUNT1>"),
        ("<!subteam^S0ESC>", "<!subteam^S0ESC>"),
        (None, None),
        # written by older code, raw: made inert now
        (
            f"account owner {HOSTILE_OWNER}",
            "account owner &lt;!channel&gt; &lt;http://evil.example/claim|Click to claim&gt;",
        ),
        # written by this code, already escaped: unchanged (not escaped twice)
        (
            "account owner Tom &amp; Jerry &lt;!here&gt;",
            "account owner Tom &amp; Jerry &lt;!here&gt;",
        ),
        ("<@U0ACCOUNT1> <!channel>", "&lt;@U0ACCOUNT1&gt; &lt;!channel&gt;"),
    ],
)
def test_a_stored_mention_is_kept_only_when_it_is_exactly_one_mention(stored, expected):
    assert stored_mention(stored) == expected
