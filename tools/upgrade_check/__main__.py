"""``python -m tools.upgrade_check [--stage dev] [--base REF]``: would this change deploy over the base?

Synthesizes the stage at the base commit and in the working tree (or reads
two cloud assemblies), prints what the update replaces or deletes the way
``cdk diff`` does, offline, and exits 1 on a finding not acknowledged in
tools/upgrade_check/acknowledged.toml, 2 when a side cannot be synthesized.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.upgrade_check import check
from tools.upgrade_check.synth import (
    ROOT,
    SynthError,
    default_base,
    read_assembly,
    synth_commit,
    synth_tree,
    use_project_node,
)


def stage_region(stage: str) -> str:
    use_project_node()
    from stacks.config import load_stage_config
    from stacks.synth import cdk_context

    config = cdk_context()["config"]
    return load_stage_config(config, stage, environ={}).region


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.upgrade_check", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--base", default="", help="git ref of the base (default: what the repository last accepted)")
    parser.add_argument("--base-dir", type=Path, help="a cloud assembly to use as the base instead of a git ref")
    parser.add_argument(
        "--change-dir", type=Path, help="a cloud assembly to use as the change (default: the working tree)"
    )
    args = parser.parse_args(argv)

    try:
        ref = "" if args.base_dir else args.base or default_base()
        # The two sides are independent processes: synthesize them side by side.
        with ThreadPoolExecutor(max_workers=2) as pool:
            base = (
                pool.submit(read_assembly, args.base_dir)
                if args.base_dir
                else pool.submit(synth_commit, ref, args.stage)
            )
            change = (
                pool.submit(read_assembly, args.change_dir)
                if args.change_dir
                else pool.submit(synth_tree, ROOT, args.stage)
            )
            base_templates, change_templates = base.result(), change.result()
    except SynthError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    label = args.base_dir or ref
    print(f"Upgrade check of stage {args.stage}: {label} -> {args.change_dir or 'working tree'}\n")
    result = check(base_templates, change_templates, stage_region(args.stage))
    print(result.text)
    return 1 if result.failing else 0


if __name__ == "__main__":
    sys.exit(main())
