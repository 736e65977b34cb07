"""How long `cdk synth` of the whole app takes, against an empty CDK app, and the test suite's wall time.

Both synths run through the pinned CDK CLI on the same machine in the same
run; the app's is warm (the bundling cache in .cache/lambda-deps is filled by
a first, untimed synth). ``--tests`` also times the test suite (4 minutes or
more: not part of `make bench`). Usage: python bench/bench_synth.py [--runs N] [--tests]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CDK = ROOT / "node_modules" / ".bin" / "cdk"
ENV = {
    **os.environ,
    "JSII_NODE": str(ROOT / "node_modules" / ".bin" / "node"),
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    "CDK_DISABLE_VERSION_CHECK": "1",
}
# The app's synth may take at most this many times an empty app's: what its nine stacks, their
# checks (cdk-nag's two rule packs, the CDK's strict CloudFormation validation) and the bundling
# cache lookups add stays small. Measured 1.9x (loaded machine) to 2.35x (quiet: the empty app's
# jsii start-up is then a smaller share) when this target was set.
TARGET_RATIO = 2.5
EMPTY_APP = "import aws_cdk as cdk\napp = cdk.App()\ncdk.Stack(app, 'Empty')\napp.synth()\n"


def _timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tests", action="store_true", help="also time the test suite (pytest -n 2)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp)
        (empty / "app.py").write_text(EMPTY_APP)
        empty_cmd = [str(CDK), "synth", "--quiet", "--app", f"{sys.executable} app.py", "--output", str(empty / "out")]
        app_out = empty / "app-out"
        app_cmd = [str(CDK), "synth", "--quiet", "--output", str(app_out)]
        _timed(app_cmd, ROOT)  # warm the bundling cache
        _timed(empty_cmd, empty)
        app_times = [_timed(app_cmd, ROOT) for _ in range(args.runs)]
        empty_times = [_timed(empty_cmd, empty) for _ in range(args.runs)]
        stacks = len(list(app_out.glob("*.template.json")))

    app_s, empty_s = statistics.median(app_times), statistics.median(empty_times)
    print(f"cdk synth, whole app ({stacks} stacks, warm): {app_s:6.1f} s  (median of {args.runs})")
    print(f"cdk synth, empty CDK app:             {empty_s:6.1f} s  (median of {args.runs})")
    if args.tests:
        tests_s = _timed([sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider"], ROOT)
        print(f"test suite wall time (pytest -n 2):   {tests_s:6.1f} s")
    print(f"synth: {app_s / empty_s:.2f}x an empty CDK app (target <= {TARGET_RATIO:g})")


if __name__ == "__main__":
    main()
