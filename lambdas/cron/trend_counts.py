"""Counts as sources write them: 4200, 4200.0, "4,200", "1.2M", "50K+", "2,000+".

Anything else is refused with a reason (the row is skipped and reported,
the source goes on): booleans, negatives, NaN and infinity (JSON's ``1e400``
reads as infinity), and numbers too large to be a real count.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

# No platform reports more than this many views of one thing; a bigger number is a broken row.
MAX_COUNT = 10**15
_SUFFIXES = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9}
_COUNT_TEXT = re.compile(r"(?P<number>\d[\d,_ ]*(?:\.\d+)?)\s*(?P<suffix>[kmb]?)\+?", re.IGNORECASE)


def parse_count(value: object) -> int:
    """The count ``value`` stands for; `ValueError` saying why when it is not one."""
    if value is None:
        raise ValueError("no count")
    if isinstance(value, bool):
        raise ValueError(f"count is a boolean ({value})")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"count is not a finite number ({value})")
        number = Decimal(value)
    elif isinstance(value, str):
        number = _from_text(value)
    else:
        raise ValueError(f"count is a {type(value).__name__}, not a number")
    if number < 0:
        raise ValueError(f"count is negative ({value})")
    if number > MAX_COUNT:
        raise ValueError(f"count {_short(value)} is larger than {MAX_COUNT}")
    return int(number)


def _from_text(text: str) -> Decimal:
    match = _COUNT_TEXT.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"count {_short(text)!r} is not a number")
    try:
        number = Decimal(match["number"].replace(",", "").replace("_", "").replace(" ", ""))
    except InvalidOperation:
        raise ValueError(f"count {_short(text)!r} is not a number") from None
    return number * _SUFFIXES[match["suffix"].casefold()]


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 40 else f"{text[:37]}..."
