"""Applies pending schema migrations; the target of the Data stack's CDK Trigger.

The event is ignored. Any failure propagates so the Trigger, and the deploy, fail.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import db
from migrate import runner

logger = Logger()
# common.* logs through stdlib logging; give it the same JSON output and level.
copy_config_to_registered_loggers(source_logger=logger, include={"migrate.runner", "common.db"})


@logger.inject_lambda_context
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    # A dedicated connection: migrations need autocommit (one real transaction
    # per file) and must not share state with any other use.
    with db.connect(autocommit=True) as conn:
        applied = runner.apply_migrations(conn)
    versions = [f"{m.version:04d}_{m.name}" for m in applied]
    logger.info("migrations applied", extra={"applied": versions, "count": len(versions)})
    return {"applied": versions}
