"""One place for every rule about what text may do and who may see it.

- ``policy``: who may see what, on which surface (refuse / masked / full).
- ``masking``: the one function that hides sensitive values in text shown to a channel.
- ``escaping``: the one function that makes record or settings text inert in Slack, and the one
  place a Slack mention is built.
- ``terminal``: control characters stripped from text printed to a terminal.
- ``suspicious``: record text addressed to an AI assistant, flagged (quoted, never obeyed).

Every surface (Slack listeners, alert rendering, the CLI, the services) calls these; no copy of
any of these rules lives anywhere else.
"""
