"""Which addresses a trend fetch may connect to: the shared rule of `common.public_addresses`."""

from __future__ import annotations

from common.public_addresses import NEVER_ALLOWED, IPAddress, IPNetwork, allowed_networks, refusal

__all__ = ["NEVER_ALLOWED", "IPAddress", "IPNetwork", "allowed_networks", "refusal"]
