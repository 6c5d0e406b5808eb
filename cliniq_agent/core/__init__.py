"""Core types and services every stage shares: schema, graph state, errors, input reading, XML safety, budget, data paths, dates, folding, TSV tables."""
