"""Regex tier: inline code markers ("(SNOMED 36989005)", "LOINC: 94500-6", XML <code> tags) in any text.

markers.py finds them; tier.py turns them into draft items."""
