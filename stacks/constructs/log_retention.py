"""Days -> the CloudWatch Logs retention enum (the config speaks in days)."""

from aws_cdk import aws_logs as logs

from stacks.config.base import LOG_RETENTION_NAMES


def retention(days: int) -> logs.RetentionDays:
    try:
        return getattr(logs.RetentionDays, LOG_RETENTION_NAMES[days])
    except KeyError:
        raise ValueError(f"{days} days is not a supported log retention ({sorted(LOG_RETENTION_NAMES)})") from None
