"""Graph nodes: plain functions ``(RunState) -> dict`` with one job each; wiring lives in graph.py."""
