"""RR cross-check: what the Reportability Response determined, beside what the engine found, per condition group."""
