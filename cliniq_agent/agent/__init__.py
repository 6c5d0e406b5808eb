"""Narrative agent: candidate phrases → code-index look-ups → small-model decisions → grounded codes.

propose.py finds phrases worth coding, tools.py wraps the code index, turns.py asks the model the two
questions small models answer well (pick one of a few codes; is this a current diagnosis), graph.py
wires them as a LangGraph subgraph with a turn cap and a deterministic fallback.
"""
