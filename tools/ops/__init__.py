"""Ops CLI: dead-letter queues (list, peek, redrive) and jobs (history, re-run).

Job commands use the ops function's own code (lambdas/ops, lambdas/common) for
--database-url and for checking a request. lambdas/ is on the path as it is for
the tests: `make setup` lists it in the venv (a .pth file), make exports it.
"""
