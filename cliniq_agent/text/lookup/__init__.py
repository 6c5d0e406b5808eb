"""Lookup tier: names and synonyms from the terminology KB found verbatim (after folding) in text."""
