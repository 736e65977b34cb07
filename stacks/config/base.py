"""What every config section shares: its base class, the error type, checked field types."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from stacks.constructs.log_retention import SUPPORTED_RETENTION_DAYS

DEFAULT_REGION = "us-east-2"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def _check_retention(days: int) -> int:
    if days not in SUPPORTED_RETENTION_DAYS:
        raise ValueError(f"{days} is not a CloudWatch Logs retention ({sorted(SUPPORTED_RETENTION_DAYS)})")
    return days


RetentionDays = Annotated[int, AfterValidator(_check_retention)]


class ConfigError(ValueError):
    """A missing or invalid setting; the message names the key."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
