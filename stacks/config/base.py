"""What every config section shares: its base class, the error type, checked field types."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

DEFAULT_REGION = "us-east-2"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
# CloudWatch Logs retentions the config accepts, by days: the names of CDK's RetentionDays
# members, so the config reads without importing the CDK (stacks/constructs/log_retention.py maps them).
LOG_RETENTION_NAMES = {
    1: "ONE_DAY",
    3: "THREE_DAYS",
    5: "FIVE_DAYS",
    7: "ONE_WEEK",
    14: "TWO_WEEKS",
    30: "ONE_MONTH",
    60: "TWO_MONTHS",
    90: "THREE_MONTHS",
    120: "FOUR_MONTHS",
    150: "FIVE_MONTHS",
    180: "SIX_MONTHS",
    365: "ONE_YEAR",
    400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS",
    731: "TWO_YEARS",
    1827: "FIVE_YEARS",
    3653: "TEN_YEARS",
}


def _check_retention(days: int) -> int:
    if days not in LOG_RETENTION_NAMES:
        raise ValueError(f"{days} is not a CloudWatch Logs retention ({sorted(LOG_RETENTION_NAMES)})")
    return days


RetentionDays = Annotated[int, AfterValidator(_check_retention)]


class ConfigError(ValueError):
    """A missing or invalid setting; the message names the key."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
