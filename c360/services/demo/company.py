"""The demo company generator (``DemoCompany``): seeded customers, moments and complaints;
the package docstring tells what it plants."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from c360.domain import Complaint, Customer, Moment
from c360.services.demo.files import _write_text, complaints_csv, customers_csv, moments_jsonl
from c360.services.demo.stories import Generated, _Profile, planted_story
from c360.services.demo.vocabulary import (
    ACCOUNT_MANAGERS,
    ARR_RANGE,
    CITIES,
    COMPETITORS,
    COMPLAINT_CATEGORIES,
    COMPLAINT_TEMPLATES,
    EMPLOYEES,
    FEATURES,
    FIRST_NAMES,
    INDUSTRIES,
    LAST_NAMES,
    LEGAL_FORMS,
    MOMENT_TEMPLATES,
    PLANS,
    PLANTED,
    PREFIXES,
    PRODUCTS,
    REGIONS,
    SEGMENTS,
    SENTIMENTS,
    SEVERITIES,
    SUPPORT,
    TITLES,
    VENDOR,
    VOLUME,
)


def customer_id_for(number: int) -> str:
    return f"C-{1000 + number}"


class DemoCompany:
    """Seeded generator of customers, moments and complaints.

    ``today`` anchors every date (records fall within the two years before it);
    ``moments_per_customer`` is the mean number of moments (the benchmark raises it).
    """

    def __init__(
        self,
        customers: int = 300,
        seed: int = 7,
        today: date | None = None,
        moments_per_customer: float = 10.0,
    ) -> None:
        if customers < len(PLANTED):
            raise ValueError(
                f"the demo needs at least {len(PLANTED)} customers (the planted look-alikes)"
            )
        self.count = customers
        self.seed = seed
        self.today = today or datetime.now(UTC).date()
        self.moments_per_customer = moments_per_customer
        self._anchor = datetime(self.today.year, self.today.month, self.today.day, tzinfo=UTC)
        self._names = self._company_names()

    # --- public ----------------------------------------------------------------------
    def customers(self) -> Iterator[Customer]:
        for number in range(1, self.count + 1):
            yield self._profile(number).customer

    def records(self) -> Iterator[Generated]:
        """Every record, customer by customer: the customer first, then its moments and complaints."""
        for number in range(1, self.count + 1):
            yield from self.records_for(number)

    def records_for(self, number: int) -> Iterator[Generated]:
        profile = self._profile(number)
        yield Generated(profile.customer, "customer")
        rng = random.Random(f"{self.seed}:{number}:records")
        yield from profile.story
        yield from self._moments(profile, rng)
        yield from self._complaints(profile, rng)

    def write(self, directory: Path) -> dict[str, Path]:
        """Write customers.csv, moments.jsonl and complaints.csv into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        customers, moments, complaints = [], [], []
        for generated in self.records():
            record = generated.record
            if isinstance(record, Customer):
                customers.append(record)
            elif isinstance(record, Moment):
                moments.append(record)
            else:
                complaints.append(record)
        paths = {
            "customers": directory / "customers.csv",
            "moments": directory / "moments.jsonl",
            "complaints": directory / "complaints.csv",
        }
        _write_text(paths["customers"], customers_csv(customers))
        _write_text(paths["moments"], moments_jsonl(moments))
        _write_text(paths["complaints"], complaints_csv(complaints))
        return paths

    # --- customers -------------------------------------------------------------------
    def _company_names(self) -> list[tuple[str, str]]:
        """(name, domain) for every generated (non-planted) customer, unique by name."""
        rng = random.Random(f"{self.seed}:names")
        combos = [(p, i) for p in PREFIXES for i in INDUSTRIES]
        rng.shuffle(combos)
        wanted = self.count - len(PLANTED)
        names: list[tuple[str, str]] = []
        seen = {p[0].lower() for p in PLANTED}
        round_no = 0
        while len(names) < wanted:
            for prefix, industry in combos:
                if len(names) >= wanted:
                    break
                # Beyond the first round (only the benchmark's 10k customers get there) a city
                # keeps names unique, as branches of real companies are named.
                base = f"{prefix} {industry}"
                if round_no == 0:
                    name = f"{base} {rng.choice(LEGAL_FORMS)}".strip()
                else:
                    city = CITIES[(round_no - 1) % len(CITIES)]
                    name = f"{base} {city}" + (
                        f" {round_no // len(CITIES) + 1}" if round_no > len(CITIES) else ""
                    )
                if name.lower() in seen:
                    continue
                seen.add(name.lower())
                slug = base.lower().replace(" ", "")
                domain = f"{slug}.com" if round_no == 0 else f"{slug}{round_no}.com"
                names.append((name, domain))
            round_no += 1
        return names

    def _profile(self, number: int) -> _Profile:
        rng = random.Random(f"{self.seed}:{number}:profile")
        if number <= len(PLANTED):
            name, aliases, domain, segment, region, health = PLANTED[number - 1]
        else:
            name, domain = self._names[number - len(PLANTED) - 1]
            aliases = []
            segment = rng.choices(SEGMENTS, weights=(55, 30, 15))[0]
            region = rng.choice(REGIONS)
            health = rng.choices(
                ("healthy", "stable", "declining", "at_risk"), weights=(45, 30, 15, 10)
            )[0]
        contacts = []
        for _ in range(rng.randint(2, 4)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            contacts.append(
                (f"{first} {last}", f"{first.lower()}.{last.lower()}@{domain}", rng.choice(TITLES))
            )
        am_name, am_handle = ACCOUNT_MANAGERS[(number * 5 + self.seed) % len(ACCOUNT_MANAGERS)]
        low, high = ARR_RANGE[segment]
        arr = 1_100_000.0 if name == "Acme Corp" else round(rng.uniform(low, high), -2)
        created = self._anchor - timedelta(days=rng.randint(200, 2400))
        renewal = self._anchor + timedelta(days=rng.randint(10, 360))
        industry = next((i for i in INDUSTRIES if i in name), rng.choice(INDUSTRIES))
        customer = Customer(
            customer_id=customer_id_for(number),
            name=name,
            aliases=list(aliases),
            domain=domain,
            emails=[c[1] for c in contacts],
            segment=segment,
            plan=rng.choice(PLANS[segment]),
            arr=arr,
            owner=am_handle,
            region=region,
            created_at=created,
            attributes={
                "industry": industry,
                "employees": str(rng.choice(EMPLOYEES[segment])),
                "renewal_date": renewal.date().isoformat(),
                "primary_contact": contacts[0][0],
            },
        )
        profile = _Profile(number, customer, contacts, health, segment, am_name)
        profile.story = planted_story(profile, self._ago)
        return profile

    # --- moments and complaints ---------------------------------------------------------
    def _slots(self, profile: _Profile, rng: random.Random, when: datetime) -> dict[str, str]:
        contact = rng.choice(profile.contacts)
        later = when + timedelta(days=rng.randint(3, 40))
        return {
            "contact": contact[0],
            "title": contact[2],
            "customer": profile.customer.name,
            "product": rng.choice(PRODUCTS),
            "feature": rng.choice(FEATURES),
            "competitor": rng.choice(COMPETITORS),
            "seats": str(rng.choice((15, 25, 40, 60, 120, 250, 500))),
            "pct": str(rng.randint(5, 45)),
            "amount": f"${rng.randint(8, 900) * 50:,}",
            "arr": f"${profile.customer.arr:,.0f}",
            "invoice": f"INV-{rng.randint(10000, 99999)}",
            "ticket": f"TCK-{rng.randint(1000, 9999)}",
            "date": later.strftime("%B %d").replace(" 0", " "),
            "month": later.strftime("%B"),
            "region": profile.customer.region or "EMEA",
            "plan": profile.customer.plan or "Growth",
            "vendor": VENDOR,
            "hours": str(rng.randint(2, 30)),
            "weeks": str(rng.randint(2, 8)),
            "secs": str(rng.randint(20, 90)),
            "days": str(rng.randint(4, 15)),
        }

    def _when(self, profile: _Profile, rng: random.Random, within_days: int = 730) -> datetime:
        created = profile.customer.created_at or self._anchor - timedelta(days=730)
        span = min(within_days, max(2, (self._anchor - created).days))
        # a working-hours moment (07:00-18:00 UTC) on a day before the anchor
        return (
            self._anchor
            - timedelta(days=rng.randint(1, span))
            + timedelta(minutes=7 * 60 + rng.randint(0, 11 * 60))
        )

    def _sentiment_weights(self, health: str, recent: bool) -> dict[int, int]:
        if health == "healthy":
            return {2: 30, 1: 40, 0: 25, -1: 5, -2: 0}
        if health == "stable":
            return {2: 10, 1: 30, 0: 40, -1: 17, -2: 3}
        if health == "declining":  # fine a year ago, sour lately
            return (
                {2: 2, 1: 10, 0: 28, -1: 40, -2: 20}
                if recent
                else {2: 20, 1: 40, 0: 30, -1: 10, -2: 0}
            )
        return {2: 0, 1: 5, 0: 25, -1: 40, -2: 30}  # at_risk

    def _moments(self, profile: _Profile, rng: random.Random) -> Iterator[Generated]:
        mean = self.moments_per_customer * VOLUME[profile.segment]
        n = max(2, int(rng.gauss(mean, mean * 0.35)))
        by_sentiment: dict[int, list[tuple[str, str, str, str, str]]] = {}
        for template in MOMENT_TEMPLATES:
            by_sentiment.setdefault(SENTIMENTS[template[3]], []).append(template)
        cid = profile.customer.customer_id
        times = sorted((self._when(profile, rng) for _ in range(n)), reverse=True)
        for k, when in enumerate(times):
            recent = (self._anchor - when).days <= 120
            weights = self._sentiment_weights(profile.health, recent)
            sentiment = rng.choices(list(weights), weights=list(weights.values()))[0]
            topic, channel, direction, _, text = rng.choice(by_sentiment[sentiment])
            slots = self._slots(profile, rng, when)
            author = self._author(profile, rng, channel, direction, slots["contact"])
            yield Generated(
                Moment(
                    moment_id=f"M{cid[2:]}-{k + 1:04d}",
                    customer_id=cid,
                    occurred_at=when,
                    text=text.format(**slots),
                    channel=channel,
                    direction=direction,
                    author=author,
                    tags=[topic.split("_")[0]] + (["negative"] if sentiment < 0 else []),
                ),
                topic,
            )

    def _author(
        self, profile: _Profile, rng: random.Random, channel: str, direction: str, contact_name: str
    ) -> str:
        """Inbound: the customer's contact (email); tickets and chats: support; the rest of
        our side: the account manager (owner)."""
        if direction == "inbound":
            return next(c[1] for c in profile.contacts if c[0] == contact_name)
        if channel in ("ticket", "chat"):
            return rng.choice(SUPPORT)
        return profile.customer.owner or rng.choice(SUPPORT)

    def _complaints(self, profile: _Profile, rng: random.Random) -> Iterator[Generated]:
        rate = {"healthy": 0.25, "stable": 0.4, "declining": 0.6, "at_risk": 0.85}[profile.health]
        mean = self.moments_per_customer * VOLUME[profile.segment] * rate
        n = max(0, int(rng.gauss(mean, max(0.5, mean * 0.5)) + 0.5))
        cid = profile.customer.customer_id
        for k in range(n):
            opened = self._when(profile, rng)
            category = rng.choice(COMPLAINT_CATEGORIES)
            text, resolution = rng.choice(COMPLAINT_TEMPLATES[category])
            slots = self._slots(profile, rng, opened)
            age = (self._anchor - opened).days
            if age > 60:
                status = rng.choices(("resolved", "closed", "open"), weights=(55, 42, 3))[0]
            else:
                status = rng.choices(("open", "in_progress", "resolved"), weights=(40, 35, 25))[0]
            resolved_at = None
            if status in ("resolved", "closed"):
                resolved_at = min(
                    opened + timedelta(days=rng.randint(1, 30), hours=rng.randint(1, 8)),
                    self._anchor - timedelta(hours=1),
                )
            severity = rng.choices(SEVERITIES, weights=(30, 40, 22, 8))[0]
            if category == "outage" and severity == "low":
                severity = "high"
            yield Generated(
                Complaint(
                    complaint_id=f"CP{cid[2:]}-{k + 1:03d}",
                    customer_id=cid,
                    opened_at=opened,
                    text=text.format(**slots),
                    category=category,
                    status=status,
                    resolved_at=resolved_at,
                    resolution=resolution.format(**slots) if resolved_at else None,
                    severity=severity,
                ),
                f"complaint_{category.replace(' ', '_')}",
            )

    def _ago(self, days: int) -> datetime:
        return self._anchor - timedelta(days=days, hours=-10)  # 10:00 UTC, `days` before the anchor
