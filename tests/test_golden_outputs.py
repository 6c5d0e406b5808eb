"""Golden outputs over every shared input: an optimisation or refactor must not change what the engine says.

The pins (tests/golden/shared.json) are digests only. When a change is *meant* to alter outputs, re-pin with
``python scripts/golden.py --write`` and list every intended difference in the commit message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cliniq_agent.eval.golden import changed_parts, compute

PINS = Path(__file__).resolve().parent / "golden" / "shared.json"


@pytest.mark.slow
def test_every_shared_input_gives_its_pinned_output(shared_data: Path) -> None:
    pinned = json.loads(PINS.read_text(encoding="utf-8"))
    digests = compute(shared_data)
    assert digests.keys() == pinned.keys()
    changed = changed_parts(pinned, digests)
    assert not changed, f"{len(changed)} outputs changed (python scripts/golden.py --check lists them): {dict(list(changed.items())[:20])}"
