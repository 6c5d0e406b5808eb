"""Pin or check the golden outputs over the shared inputs (see cliniq_agent/bench/golden.py).

    python scripts/golden.py --data ../shared/data --write        # re-pin tests/golden/shared.json (say why in the commit)
    python scripts/golden.py --data ../shared/data --check        # list the inputs whose output changed
    python scripts/golden.py --data ../shared/data --dump /tmp/g  # write the canonical outputs for a diff
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cliniq_agent.bench.golden import compute

PINS = Path(__file__).resolve().parents[1] / "tests" / "golden" / "shared.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--dump", type=Path)
    args = parser.parse_args()
    digests = compute(args.data, dump=args.dump)
    if args.write:
        PINS.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"pinned {len(digests)} inputs in {PINS}")
        return 0
    if args.check:
        pinned = json.loads(PINS.read_text(encoding="utf-8"))
        changed = sorted(k for k in pinned.keys() | digests.keys() if pinned.get(k) != digests.get(k))
        for key in changed:
            print(key)
        print(f"{len(changed)} of {len(pinned)} pinned inputs changed", file=sys.stderr)
        return 1 if changed else 0
    print(f"wrote {len(digests)} outputs under {args.dump}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
