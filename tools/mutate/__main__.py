"""`python -m tools.mutate [MODULE ...] [--changed-since REF]`: score each module, list survivors.

Exit status 1 when a module scores below the threshold of targets.toml.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tools.mutate import runner, targets

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.mutate", description=__doc__)
    parser.add_argument("modules", nargs="*", help="module paths from targets.toml (default: all)")
    parser.add_argument("--changed-since", metavar="REF", help="only the modules whose source or tests changed")
    args = parser.parse_args(argv)
    table = targets.load()
    if args.modules:
        chosen = table.named(args.modules)
    elif args.changed_since:
        chosen = table.touched_by(targets.changed_since(args.changed_since, ROOT))
    else:
        chosen = list(table.modules)
    if not chosen:
        print("mutate: no module of tools/mutate/targets.toml is touched")
        return 0
    failed = False
    with tempfile.TemporaryDirectory(prefix="mutate-") as tmp:
        tree = Path(tmp)
        runner.copy_tree(ROOT, tree)
        for target in chosen:
            print(f"mutate: {target.module} against {' '.join(target.tests)}", flush=True)
            result = runner.run(target, table, tree)
            print(runner.report(result, table.threshold), flush=True)
            failed |= result.score < table.threshold
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
