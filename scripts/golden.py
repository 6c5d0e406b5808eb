"""Pin or check the golden outputs over the shared inputs (see cliniq_agent/eval/golden.py).

    python scripts/golden.py --data ../shared/data --write        # re-pin tests/golden/shared.json (say why in the commit)
    python scripts/golden.py --write --part fhir                  # re-pin only the FHIR digests (a change meant for FHIR)
    python scripts/golden.py --data ../shared/data --check        # list the inputs whose output changed, and which part
    python scripts/golden.py --data ../shared/data --dump /tmp/g  # write the canonical outputs for a diff
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cliniq_agent.eval.golden import PARTS, changed_parts, compute

PINS = Path(__file__).resolve().parents[1] / "tests" / "golden" / "shared.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--dump", type=Path)
    parser.add_argument("--part", choices=PARTS, action="append",
                        help="with --write: re-pin only these parts (default: all)")
    args = parser.parse_args()
    digests = compute(args.data, dump=args.dump)
    if args.write:
        pinned = json.loads(PINS.read_text(encoding="utf-8")) if args.part and PINS.exists() else {}
        for key, parts in digests.items():
            kept = pinned.get(key, {})
            pinned[key] = {part: parts[part] if not args.part or part in args.part else kept.get(part, "")
                           for part in PARTS}
        pinned = {key: pinned[key] for key in digests}
        PINS.write_text(json.dumps(pinned, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"pinned {len(digests)} inputs in {PINS} (parts: {', '.join(args.part or PARTS)})")
        return 0
    if args.check:
        pinned = json.loads(PINS.read_text(encoding="utf-8"))
        changed = changed_parts(pinned, digests)
        for key, parts in changed.items():
            print(f"{key}\t{','.join(parts)}")
        per_part = ", ".join(f"{part} {sum(part in parts for parts in changed.values())}" for part in PARTS)
        print(f"{len(changed)} of {len(pinned)} pinned inputs changed ({per_part})", file=sys.stderr)
        return 1 if changed else 0
    print(f"wrote {len(digests)} outputs under {args.dump}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
