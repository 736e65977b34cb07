"""The events imports worker: NDJSON (optionally gzip) files under events/ in the uploads bucket -> content_events."""
