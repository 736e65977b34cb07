"""Operator tools: the monthly cost report (tools.cost) and the ops CLI (tools.ops)."""
