"""Ops CLI: dead-letter queues (list, peek, redrive) and jobs (history, re-run)."""

import sys
from pathlib import Path

# Job commands use the ops function's own code (lambdas/ops, lambdas/common) for
# --database-url and for checking a request, exactly as the tests do (pyproject
# puts lambdas/ on the path there).
_LAMBDAS = str(Path(__file__).resolve().parents[2] / "lambdas")
if _LAMBDAS not in sys.path:
    sys.path.append(_LAMBDAS)
