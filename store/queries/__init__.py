"""Read side of the store: everything a brief or the resolver needs, one customer at a time.

Every query here is index-backed (primary keys, ``ix_moments_customer_time``,
``ix_complaints_customer_time``, ``ix_chunks_customer_id``), so its cost depends on the size of
one customer's history, never on the size of the store. The one exception is
``customer_name_rows``, which reads the narrow name columns of every customer to build the
in-memory name index (once, then only on change). Functions take the session first and use
``select()``; callers own the transaction.

The reads are split by what they read: ``customers``, ``moments`` (exchanges included),
``complaints``, ``fieldvalues`` (the ``complaint_values`` index), ``chunks`` (and any record by
id); ``base`` holds the shared statement helpers and row -> domain conversions. Every name is
importable from ``store.queries`` as before.
"""

from store.queries.base import (
    EVIDENCE_ORIGINS,
    IN_SLICE,
    complaint_from_row,
    customer_from_row,
    moment_from_row,
    record_from_row,
)
from store.queries.chunks import (
    ChunkVector,
    customer_chunks,
    record_owners,
    records_by_ids,
)
from store.queries.complaints import (
    CategoryCount,
    ComplaintDigest,
    OpenedComplaint,
    a_customer_with_more_complaints_than,
    complaint_digest,
    complaints_by_id_fragments,
    complaints_of_states,
    complaints_opened_in,
    customer_complaints,
    customer_complaints_by_ids,
    get_complaint,
    newest_by_category,
)
from store.queries.customers import (
    CustomerFieldValues,
    CustomerNameRow,
    customer_field_values,
    customer_name_rows,
    customers_digest,
    customers_fingerprint,
    get_customer,
    get_customers,
)
from store.queries.fieldvalues import (
    ComplaintFields,
    complaint_days_named,
    complaint_fields_since,
    customers_with_a_complaint_carrying_all,
    newest_complaint_write,
    open_complaint_ids,
    stored_time,
    value_hits,
)
from store.queries.moments import (
    count_moments,
    exchange_meta_since,
    exchange_moments,
    get_moment,
    linked_moments,
    recent_moments,
)

__all__ = [
    "CategoryCount",
    "ChunkVector",
    "ComplaintDigest",
    "ComplaintFields",
    "CustomerFieldValues",
    "CustomerNameRow",
    "EVIDENCE_ORIGINS",
    "IN_SLICE",
    "OpenedComplaint",
    "a_customer_with_more_complaints_than",
    "complaint_days_named",
    "complaint_digest",
    "complaint_fields_since",
    "complaints_by_id_fragments",
    "complaints_of_states",
    "complaints_opened_in",
    "complaint_from_row",
    "count_moments",
    "customer_chunks",
    "customer_complaints",
    "customer_complaints_by_ids",
    "customer_field_values",
    "customer_from_row",
    "customer_name_rows",
    "customers_digest",
    "customers_fingerprint",
    "customers_with_a_complaint_carrying_all",
    "exchange_meta_since",
    "exchange_moments",
    "get_complaint",
    "get_customer",
    "get_customers",
    "get_moment",
    "linked_moments",
    "moment_from_row",
    "newest_by_category",
    "newest_complaint_write",
    "open_complaint_ids",
    "recent_moments",
    "record_from_row",
    "record_owners",
    "records_by_ids",
    "stored_time",
    "value_hits",
]
