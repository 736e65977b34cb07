"""Refresh the price table from the AWS Price List API (needs AWS credentials).

Only entries with a ``query`` are refreshed; the others (free-tier sizes,
tiered prices the API spreads over many SKUs) stay as shipped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The Price List API answers from us-east-1 (and a few others) for every region.
PRICING_REGION = "us-east-1"


class RefreshError(RuntimeError):
    pass


def on_demand_usd(price_item: str | Mapping[str, Any]) -> float:
    """The on-demand USD price per unit of one Price List API product."""
    item = json.loads(price_item) if isinstance(price_item, str) else price_item
    terms = (item.get("terms") or {}).get("OnDemand") or {}
    for term in terms.values():
        for dimension in (term.get("priceDimensions") or {}).values():
            usd = (dimension.get("pricePerUnit") or {}).get("USD")
            if usd is not None and float(usd) > 0:
                return float(usd)
    raise RefreshError(f"no on-demand USD price in product {item.get('product', {}).get('sku', '?')}")


def fetch(client: Any, query: Mapping[str, Any]) -> float:
    filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in query["filters"].items()]
    response = client.get_products(ServiceCode=query["service"], Filters=filters, MaxResults=10)
    items = response.get("PriceList") or []
    if len(items) != 1:
        raise RefreshError(f"{query['service']} {query['filters']}: expected 1 product, got {len(items)}")
    return on_demand_usd(items[0])


def refresh_table(path: Path, client: Any | None = None) -> dict[str, tuple[float, float]]:
    """Re-read every queried price, rewrite the table, return {key: (old, new)}."""
    if client is None:
        import boto3

        session = boto3.Session()
        if session.get_credentials() is None:
            raise RefreshError("no AWS credentials: the shipped prices stay as they are")
        client = session.client("pricing", region_name=PRICING_REGION)
    raw = json.loads(path.read_text())
    changes: dict[str, tuple[float, float]] = {}
    today = datetime.now(UTC).date().isoformat()
    for key, entry in raw["prices"].items():
        query = entry.get("query")
        if not query:
            continue
        new = fetch(client, query)
        changes[key] = (float(entry["value"]), new)
        entry["value"] = new
        entry["checked"] = today
        entry["source"] = f"AWS Price List API ({query['service']})"
    path.write_text(json.dumps(raw, indent=2) + "\n")
    return changes
