"""The single-shot LoRA fast path for known-format clinician text."""
