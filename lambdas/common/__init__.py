"""Code shared by every Lambda function; a copy ships inside each function's asset.

Kept import-free on purpose: cold starts only pay for the modules a function uses.
"""
