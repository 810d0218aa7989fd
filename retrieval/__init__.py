"""Embeddings, the Chroma index, customer resolution and customer-scoped search."""
