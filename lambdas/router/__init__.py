"""The HTTP API's Lambda: AI routing, job dispatch and status, upload URLs."""
