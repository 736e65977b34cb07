"""Who may do what: read a job (its owner, or a caller carrying the configured
admin claim), queue a scheduled task by hand (an operator), write an account's events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router.errors import ApiError
from router.settings import RouterSettings

# The OAuth claim that lists a token's scopes (space-separated).
SCOPE_CLAIM = "scope"


def has_claim_value(claims: Mapping[str, Any], name: str, value: str) -> bool:
    """Whether the claim holds `value` among its values.

    The HTTP API's JWT authorizer passes every claim on as a string: `scope` is
    space-separated ("read write"), and an array claim is flattened to
    "[admin editor]". A list (another authorizer) is taken as is.
    """
    raw = claims.get(name)
    if raw is None:
        return False
    if isinstance(raw, list | tuple):
        return value in (str(v) for v in raw)
    text = str(raw).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return value in text.replace(",", " ").split()


def may_read(owner: str | None, caller: str, *, admin: bool) -> bool:
    """An admin reads any job; anyone else only a job they own (never an unowned one)."""
    return admin or (owner is not None and owner == caller)


def is_operator(claims: Mapping[str, Any], settings: RouterSettings) -> bool:
    """Whether the token carries the stage's operator scope (never, when none is configured)."""
    scope = settings.operator_scope
    return scope is not None and has_claim_value(claims, SCOPE_CLAIM, scope)


def may_write_account(claims: Mapping[str, Any], settings: RouterSettings, account: str) -> bool:
    """Whether the token may write this account's events: the account is listed in its
    accounts claim, or it carries the operator scope (the app's backend writes for every account)."""
    claim = settings.event_accounts_claim
    return (claim is not None and has_claim_value(claims, claim, account)) or is_operator(claims, settings)


def require_operator(claims: Mapping[str, Any], settings: RouterSettings, what: str) -> None:
    """403 unless the caller is an operator."""
    if not is_operator(claims, settings):
        raise ApiError(
            403, "operator_scope_required", f"only callers with the {settings.operator_scope!r} scope {what}"
        )


def require_operator_for(task: str, claims: Mapping[str, Any], settings: RouterSettings) -> None:
    """403 unless the caller may queue ``task``: the scheduled tasks run account-wide
    work and spend the shared AI budget, so only operators queue them by hand."""
    if task in settings.operator_tasks:
        require_operator(claims, settings, f"may queue {task!r} jobs")
