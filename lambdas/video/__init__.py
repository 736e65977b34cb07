"""The video worker: an uploaded video in S3 -> features + a multimodal analysis in PostgreSQL."""
