"""The demo's planted stories: fixed records of the key accounts it talks about, and the
values the generator yields (``Generated``) and draws from (``_Profile``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from c360.domain import Complaint, Customer, Moment
from c360.services.demo.vocabulary import INJECTION_TEXT


@dataclass
class Generated:
    """A generated record and the template topic it was drawn from (the benchmark uses it)."""

    record: Customer | Moment | Complaint
    topic: str


@dataclass
class _Profile:
    number: int
    customer: Customer
    contacts: list[tuple[str, str, str]]  # (name, email, title)
    health: str  # healthy | stable | declining | at_risk
    segment: str
    am_name: str
    story: list[Generated] = field(default_factory=list)


def planted_story(profile: _Profile, ago: Callable[[int], datetime]) -> list[Generated]:
    """Fixed records for the accounts the demo talks about. Ids start with S so they never
    collide with the random ones."""
    cid = profile.customer.customer_id
    name = profile.customer.name
    contact, email, title = profile.contacts[0]
    owner = profile.customer.owner or ""

    def moment(n, days, channel, direction, author, text, topic, tags=()):
        return Generated(
            Moment(f"S{cid[2:]}-{n}", cid, ago(days), text, channel, direction, author, list(tags)),
            topic,
        )

    def complaint(n, days, category, text, status, severity, resolved_days=None, resolution=None):
        return Generated(
            Complaint(
                f"SC{cid[2:]}-{n}",
                cid,
                ago(days),
                text,
                category,
                status,
                ago(resolved_days) if resolved_days is not None else None,
                resolution,
                severity,
            ),
            f"complaint_{category.replace(' ', '_')}",
        )

    if name == "Acme Corp":
        return [
            complaint(
                1,
                12,
                "invoice error",
                f"Invoice INV-20931 billed 1,450 seats of Lumen Insights instead of the contracted 1,200 (overcharge $37,500). {contact} ({title}) needs a corrected invoice before the quarter-end payment run.",
                "open",
                "high",
            ),
            complaint(
                2,
                5,
                "outage",
                "The Salesforce sync in Lumen Connect failed for 3 days; Acme's renewal pipeline reports were empty during their QBR preparation.",
                "in_progress",
                "critical",
            ),
            moment(
                1,
                6,
                "email",
                "inbound",
                email,
                f"This is the second billing error this quarter, and now the Salesforce sync is down too. We are reviewing whether to renew in March. - {contact}, {title}",
                "email_angry",
                ("email", "negative"),
            ),
            moment(
                2,
                4,
                "call",
                "outbound",
                owner,
                f"Call with {contact}: apologised for INV-20931 and the sync outage. Promised a corrected invoice and a root-cause report by Friday. Acme is looking at Datadash as an alternative.",
                "call_escalation",
                ("call", "negative"),
            ),
            moment(
                3,
                3,
                "note",
                "internal",
                owner,
                "Account note: Acme Corp renewal ($1.1M ARR) at risk. Need an exec sponsor call this week and the credit for INV-20931 approved.",
                "note_risk",
                ("note", "negative"),
            ),
            # the earlier, happier half of the story, so the trend visibly turns
            moment(
                4,
                220,
                "meeting",
                "outbound",
                owner,
                f"Quarterly business review with {contact}: Lumen Insights is used by 1,100 people and Acme wants to add Lumen Connect for their Salesforce pipeline. Very positive meeting.",
                "qbr_good",
                ("meeting",),
            ),
            moment(
                5,
                160,
                "email",
                "inbound",
                email,
                "Thank you for the smooth Lumen Connect rollout, the sales team loves the new pipeline reports. - "
                + contact,
                "email_thanks",
                ("email",),
            ),
            moment(
                6,
                120,
                "call",
                "outbound",
                owner,
                f"Check-in call with {contact}. Happy with Lumen Connect so far; asked for a quote for 250 more seats at renewal.",
                "call_checkin",
                ("call",),
            ),
        ]
    if name == "Acme Corporation Ltd":
        return [
            moment(
                1,
                9,
                "meeting",
                "outbound",
                owner,
                f"QBR with {contact} at Acme Corporation Ltd (UK): adoption of Lumen Pipelines is up 30%; they plan to add 40 seats in the London office.",
                "qbr_good",
                ("meeting",),
            ),
            complaint(
                1,
                140,
                "onboarding",
                "Onboarding of Lumen Pipelines for the UK team ran two weeks late.",
                "resolved",
                "low",
                120,
                "Dedicated onboarding manager assigned; go-live reached.",
            ),
        ]
    if name == "Initech Systems":
        return [
            complaint(
                1,
                45,
                "billing",
                f"Initech Systems was billed twice for the annual Growth plan: duplicate invoice INV-33170 for $18,400. {contact} asks for a refund.",
                "resolved",
                "medium",
                38,
                "Duplicate invoice INV-33170 voided and $18,400 refunded to the card on file.",
            ),
            moment(
                1,
                37,
                "email",
                "outbound",
                owner,
                f"Hi {contact.split()[0]}, confirming the $18,400 refund for the duplicate invoice INV-33170 went out today; it should reach your account within 5 business days.",
                "email_followup",
                ("email",),
            ),
        ]
    if name == "Globex Industries":
        return [
            moment(1, 20, "note", "internal", owner, INJECTION_TEXT, "note_context", ("note",)),
            complaint(
                1,
                8,
                "data export",
                f"The CSV export from Lumen Insights drops rows with non-ASCII customer names; {contact} needs complete data for an audit due this month.",
                "open",
                "high",
            ),
        ]
    return []
