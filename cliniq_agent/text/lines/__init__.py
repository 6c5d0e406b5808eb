"""Known-format clinician text ("Patient:/Dx:/Lab:/Vitals:/Meds:" lines): deterministic line parser.

labels.py splits labelled lines; fields.py parses single values; parser.py builds the draft record."""
