"""Our system of record (SQLAlchemy 2): customers, moments, complaints, chunks with their
embeddings, sync cursors and Slack event dedupe. Every function takes the session first;
callers own the transaction."""
