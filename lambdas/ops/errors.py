"""The one error type of operator actions: a stable ``code`` and a message for a human."""

from __future__ import annotations


class OpsError(Exception):
    """A refused or failed operator action; nothing was changed unless the message says so."""

    def __init__(self, message: str, *, code: str = "bad_request") -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}
