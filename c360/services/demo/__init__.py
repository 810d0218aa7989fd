"""The demo company: a realistic, seeded sample of a B2B software vendor's customers.

`c360 demo` writes it as the canonical files (customers.csv, moments.jsonl, complaints.csv) and
ingests them through the real file connector, so the demo exercises the same path a user's
export takes. The benchmark reuses the same generator at scale (10k customers, 1M records).

Deterministic by construction: every customer draws from its own ``random.Random`` seeded by
``(seed, customer number)``, and every date is an offset from the anchor day (``today``), so
the same seed and anchor give byte-identical files, and customer *i* can be generated alone
(the benchmark streams a million records without holding them).

What a demo must show is planted on purpose, the rest is random:
- look-alike customers ("Acme Corp" / "Acme Corporation Ltd", "Globex Inc" / "Globex
  Industries", ...) with similar domains, so resolution must ask instead of guessing;
- key accounts with a story (open complaints, a trend turning negative, a refund to ask about);
- one record carrying a prompt-injection attempt, as real notes sometimes do: it is data.
"""

from c360.services.demo.company import DemoCompany, customer_id_for
from c360.services.demo.files import (
    COMPLAINT_COLUMNS,
    CUSTOMER_COLUMNS,
    complaints_csv,
    customers_csv,
    moments_jsonl,
)
from c360.services.demo.stories import Generated, planted_story
from c360.services.demo.vocabulary import (
    ACCOUNT_MANAGERS,
    ARR_RANGE,
    CITIES,
    COMPETITORS,
    COMPLAINT_CATEGORIES,
    COMPLAINT_TEMPLATES,
    EMPLOYEES,
    ENGINEERS,
    FEATURES,
    FIRST_NAMES,
    INDUSTRIES,
    INJECTION_TEXT,
    LAST_NAMES,
    LEGAL_FORMS,
    MOMENT_TEMPLATES,
    PLANS,
    PLANTED,
    PREFIXES,
    PRODUCTS,
    REGIONS,
    SEGMENTS,
    SEVERITIES,
    SUPPORT,
    TITLES,
    VENDOR,
    VOLUME,
)

__all__ = [
    "ACCOUNT_MANAGERS",
    "ARR_RANGE",
    "CITIES",
    "COMPETITORS",
    "COMPLAINT_CATEGORIES",
    "COMPLAINT_COLUMNS",
    "COMPLAINT_TEMPLATES",
    "CUSTOMER_COLUMNS",
    "DemoCompany",
    "EMPLOYEES",
    "ENGINEERS",
    "FEATURES",
    "FIRST_NAMES",
    "Generated",
    "INDUSTRIES",
    "INJECTION_TEXT",
    "LAST_NAMES",
    "LEGAL_FORMS",
    "MOMENT_TEMPLATES",
    "PLANS",
    "PLANTED",
    "PREFIXES",
    "PRODUCTS",
    "REGIONS",
    "SEGMENTS",
    "SEVERITIES",
    "SUPPORT",
    "TITLES",
    "VENDOR",
    "VOLUME",
    "complaints_csv",
    "customer_id_for",
    "planted_story",
    "customers_csv",
    "moments_jsonl",
]
