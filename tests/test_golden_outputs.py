"""Golden outputs over every shared input: an optimisation or refactor must not change what the engine says.

The pins (tests/golden/shared.json) are digests only. When a change is *meant* to alter outputs, re-pin with
``python scripts/golden.py --write`` and list every intended difference in the commit message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cliniq_agent.bench.golden import compute

PINS = Path(__file__).resolve().parent / "golden" / "shared.json"


@pytest.mark.slow
def test_every_shared_input_gives_its_pinned_output(shared_data: Path) -> None:
    pinned = json.loads(PINS.read_text(encoding="utf-8"))
    digests = compute(shared_data)
    assert digests.keys() == pinned.keys()
    changed = sorted(key for key in pinned if pinned[key] != digests[key])
    assert not changed, f"{len(changed)} outputs changed (python scripts/golden.py --check lists them): {changed[:20]}"
