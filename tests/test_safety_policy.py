"""The audience policy (c360.safety.policy.decide): who may see what, on which surface.

The whole table, requester x surface: a guest and a Slack Connect user are refused everywhere;
a shared channel is refused; a requester Slack could not vouch for is masked (alert changes
refused); a member sees the masked view in a channel and everything elsewhere."""

from __future__ import annotations

import pytest

from c360.safety.policy import (
    CHANNEL_UNCONFIRMED,
    EXTERNAL_CHANNEL,
    EXTERNAL_USER,
    GUEST_USER,
    LOOKUP_MASKED,
    LOOKUP_REFUSED,
    Content,
    Outcome,
    Requester,
    Standing,
    Surface,
    decide,
    decide_post,
)

S, C = Surface, Content
SURFACES = [
    (S.CHANNEL, C.BRIEF),
    (S.SHARED_CHANNEL, C.BRIEF),
    (S.UNCONFIRMED_CHANNEL, C.BRIEF),
    (S.DM, C.BRIEF),
    (S.EPHEMERAL, C.BRIEF),
    (S.EPHEMERAL, C.MOMENT),
    (S.APP_HOME, C.CUSTOMERS),
    (S.TYPEAHEAD, C.CUSTOMERS),
    (S.ALERT_ACTION, C.ALERT_CHANGE),
]
R, M, F = Outcome.REFUSE, Outcome.MASKED, Outcome.FULL
# surface:                 member                     unknown (users.info failed)
EXPECTED = {
    (S.CHANNEL, C.BRIEF): ((M, None), (M, LOOKUP_MASKED)),
    (S.SHARED_CHANNEL, C.BRIEF): ((R, EXTERNAL_CHANNEL), (R, EXTERNAL_CHANNEL)),
    (S.UNCONFIRMED_CHANNEL, C.BRIEF): ((R, CHANNEL_UNCONFIRMED), (R, CHANNEL_UNCONFIRMED)),
    (S.DM, C.BRIEF): ((F, None), (M, LOOKUP_MASKED)),
    (S.EPHEMERAL, C.BRIEF): ((F, None), (M, LOOKUP_MASKED)),
    (S.EPHEMERAL, C.MOMENT): ((F, None), (M, LOOKUP_MASKED)),
    (S.APP_HOME, C.CUSTOMERS): ((F, None), (M, LOOKUP_MASKED)),
    (S.TYPEAHEAD, C.CUSTOMERS): ((F, None), (M, LOOKUP_MASKED)),
    (S.ALERT_ACTION, C.ALERT_CHANGE): ((F, None), (R, LOOKUP_REFUSED)),
}


@pytest.mark.parametrize(("surface", "content"), SURFACES)
def test_a_member_and_an_unconfirmed_requester(surface, content):
    member, unknown = EXPECTED[(surface, content)]
    got = decide(Requester("U0ALICE001", Standing.MEMBER), surface, content)
    assert (got.outcome, got.reason) == member
    got = decide(Requester("U0ALICE001", Standing.UNKNOWN), surface, content)
    assert (got.outcome, got.reason) == unknown


@pytest.mark.parametrize(("surface", "content"), SURFACES)
@pytest.mark.parametrize(
    ("requester", "reason"),
    [
        (Requester("U0GUEST003", Standing.GUEST), GUEST_USER),
        (Requester("U0EXT00004", Standing.EXTERNAL), EXTERNAL_USER),
    ],
)
def test_guests_and_users_of_other_organisations_are_refused_everywhere(
    surface, content, requester, reason
):
    got = decide(requester, surface, content)
    assert got.refused and got.reason == reason


def test_refusals_are_polite_and_say_why():
    assert GUEST_USER.startswith("Sorry,") and "guests" in GUEST_USER
    assert EXTERNAL_USER.startswith("Sorry,") and "other organisations" in EXTERNAL_USER
    assert "couldn't confirm your account" in LOOKUP_MASKED and "hidden" in LOOKUP_MASKED
    assert "couldn't confirm your account" in LOOKUP_REFUSED and "try again" in LOOKUP_REFUSED


@pytest.mark.parametrize(
    ("surface", "expected"),
    [
        (S.CHANNEL, (M, None)),  # an internal channel: the channel's masked view
        (S.SHARED_CHANNEL, (R, EXTERNAL_CHANNEL)),
        (S.UNCONFIRMED_CHANNEL, (R, CHANNEL_UNCONFIRMED)),  # fail closed: it may be shared
        (S.DM, (F, None)),
    ],
)
def test_a_post_nobody_asked_for_follows_the_channel_rules(surface, expected):
    """Alerts and digests: the same rules with no requester, for customer content."""
    got = decide_post(surface)
    assert (got.outcome, got.reason) == expected
