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

# The vocabulary (names, templates, the planted injection text) is imported from
# c360.services.demo.vocabulary where it is needed, not re-exported here.
__all__ = [
    "COMPLAINT_COLUMNS",
    "CUSTOMER_COLUMNS",
    "DemoCompany",
    "Generated",
    "complaints_csv",
    "customer_id_for",
    "customers_csv",
    "moments_jsonl",
    "planted_story",
]
