"""Secret reads with a per-container cache (Powertools parameters).

Two stores: Secrets Manager for what AWS rotates (the database master
password), and SSM SecureString parameters for values issued outside AWS and
never rotated by it (the Azure AI key, the Slack webhook), which cost nothing
with the AWS-managed key. A cached value may be stale after a change; callers
that see an auth failure call again with `refresh=True` to bypass the cache once.
"""

from __future__ import annotations

from typing import Any

from common.errors import ConfigurationError, TransientError

# Long enough that a warm container makes ~no Secrets Manager calls, short
# enough that a rotation is picked up without a refresh within minutes.
DEFAULT_MAX_AGE_S = 300


def get_secret_string(secret_id: str, *, max_age: int = DEFAULT_MAX_AGE_S, refresh: bool = False) -> str:
    """The secret's SecretString (or decoded SecretBinary) as text."""
    value = _get(secret_id, transform=None, max_age=max_age, refresh=refresh)
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


def get_secret_json(secret_id: str, *, max_age: int = DEFAULT_MAX_AGE_S, refresh: bool = False) -> dict[str, Any]:
    """The secret parsed as a JSON object (e.g. the RDS host/port/username/password secret)."""
    value = _get(secret_id, transform="json", max_age=max_age, refresh=refresh)
    if not isinstance(value, dict):
        raise ConfigurationError(f"secret {secret_id} is not a JSON object")
    return value


def get_secure_parameter(name: str, *, max_age: int = DEFAULT_MAX_AGE_S, refresh: bool = False) -> str:
    """An SSM SecureString parameter, decrypted (its KMS key is SSM's AWS-managed one)."""
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_parameter(name, decrypt=True, max_age=max_age, force_fetch=refresh)
    except parameters.exceptions.GetParameterError as exc:
        raise TransientError("secret_unavailable", f"cannot read parameter {name}: {exc}") from exc
    return str(value)


def clear_cache() -> None:
    """Drop every cached secret and parameter, and the cached clients."""
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()


def _get(secret_id: str, *, transform: str | None, max_age: int, refresh: bool) -> Any:
    from aws_lambda_powertools.utilities import parameters

    try:
        return parameters.get_secret(secret_id, transform=transform, max_age=max_age, force_fetch=refresh)
    except parameters.exceptions.TransformParameterError as exc:
        raise ConfigurationError(f"secret {secret_id} is not valid JSON") from exc
    except parameters.exceptions.GetParameterError as exc:
        # Throttling, a network blip or a missing grant: none of it is the job's
        # fault, so the message goes back to the queue (and the DLQ alarm fires
        # if it never recovers).
        raise TransientError("secret_unavailable", f"cannot read secret {secret_id}: {exc}") from exc
