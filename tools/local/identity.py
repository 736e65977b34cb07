"""The local issuer: an RSA key of its own, its JWKS, and the tokens it signs.

The HTTP API's JWT authorizer checks tokens against this JWKS locally, as it
checks the real issuer's in AWS. The key lives in ``.local/`` (never
committed) and is made on first use, so a token printed by
``python -m tools.local token`` stays valid across restarts until it expires.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Where the local system keeps its key, token and endpoints (LOCAL_STATE_DIR to move it).
STATE_DIR = Path(os.environ.get("LOCAL_STATE_DIR") or ROOT / ".local")
ISSUER = "https://issuer.local.huntaze.invalid/"
KEY_ID = "huntaze-local-1"
DEV_SUBJECT = "local-dev"
TOKEN_TTL_S = 24 * 3600


def _private_key(state_dir: Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path = state_dir / "issuer-key.pem"
    if path.exists():
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    state_dir.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)
    return key


def jwks(state_dir: Path = STATE_DIR) -> dict[str, Any]:
    """The issuer's public keys, as a JWKS document."""
    from jwt.algorithms import RSAAlgorithm

    jwk = json.loads(RSAAlgorithm.to_jwk(_private_key(state_dir).public_key()))
    return {"keys": [{**jwk, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}


def token(
    sub: str,
    audience: str,
    *,
    scope: str | None = None,
    ttl_s: int = TOKEN_TTL_S,
    issuer: str = ISSUER,
    state_dir: Path = STATE_DIR,
    now: float | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """An RS256 access token for ``sub`` signed by the local issuer (``extra``: more claims, as an accounts list)."""
    import jwt

    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {"iss": issuer, "sub": sub, "aud": audience, "iat": issued, "exp": issued + ttl_s}
    if scope:
        claims["scope"] = scope
    claims.update(extra or {})
    return jwt.encode(claims, _private_key(state_dir), algorithm="RS256", headers={"kid": KEY_ID})
