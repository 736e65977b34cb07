"""The app's own monthly cost report: synthesized templates x a shipped price table x the workload profile."""
