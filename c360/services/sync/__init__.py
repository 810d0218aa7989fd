"""Live sources: ``c360 sync``, ``c360 sources``, the worker's schedule, freshness, and the
live capture of Slack messages.

A sync reads each entry of a sources file. API entries (``connector: slack|hubspot|zendesk``)
are read page by page through their connector (``connectors/``); each page becomes one batch
of the ingest pipeline whose transaction also stores the source's cursor, the links of its
customer ids and what it deleted or merged (``Effects``). So a kill at any point keeps every
committed page, and the next sync re-reads at most the page in flight. File and SQL entries run
through the ingest service as ``c360 ingest --source`` runs them, and are recorded too.

Identity: a customer row of a source is the same c360 customer as an existing one with the id
its row names as external id, or with its domain; that source's id is then linked
(``customer_links``) and kept as an alias, and the source's other records follow the link.
Contacts (HubSpot) add people to their company's customer record.

Freshness: a source is *stale* when its last success is older than 3 times its interval, and
*failing* when its last attempt ended with an error; briefs name both, `c360 doctor` lists
them.

The package's rooms: ``service`` (``SyncService``: the sources file, ``c360 sync``, pages ->
batches), ``pages`` (a page's rows -> ingest items: identity linking, merges, contacts),
``schedule`` (``c360 sources``, freshness, the worker's schedule), ``live`` (live capture of
Slack messages) and ``results`` (``SyncReport``, ``SourceResult``, ``parse_interval``).
"""
