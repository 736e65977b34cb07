"""`make load`: locust against the local system, then the audit (tools/load/locustfile.py, tools/load/__main__.py)."""
