"""The network and the data stores (VPC, NAT, RDS, Valkey, the uploads bucket)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from stacks.config.base import RetentionDays, Section


class NetworkConfig(Section):
    cidr: str = "10.40.0.0/16"
    # Explicit AZs keep synth free of context lookups (no credentials needed).
    availability_zones: tuple[str, ...] | None = None
    nat_mode: Literal["instance", "gateway"] = "instance"
    nat_instance_type: str = "t4g.nano"
    # The NAT instance's AMI (arm64 Amazon Linux 2023). ImageId is create-only,
    # so an AMI that changes between deploys replaces the instance (egress drops,
    # the public IP changes). "at-launch" (the default) names the AL2023 SSM
    # parameter in the template and EC2 resolves it when it launches the
    # instance: the newest AMI on first create, and a template that never
    # changes, so routine deploys keep the instance (SSM patches it in place).
    # "latest" resolves the parameter on every deploy (a new AMI replaces the
    # instance); an "ami-..." id pins one image of one region. A stage that
    # keeps its data (prod) refuses "latest".
    nat_ami: str = Field("at-launch", pattern=r"^(at-launch|latest|ami-[0-9a-f]{8,17})$")
    # When SSM State Manager runs AWS-RunPatchBaseline (install, reboot if
    # needed: about a minute without egress); None leaves patching to a person.
    nat_patch_schedule: str | None = Field("cron(0 9 ? * SUN *)", pattern=r"^(cron|rate)\(.+\)$")
    # One NAT is the budget choice; prod may run one per AZ for HA.
    nat_count: int = Field(1, ge=1, le=2)
    flow_log_retention_days: RetentionDays = 30


class DataConfig(Section):
    db_instance_class: str = "t4g.micro"
    db_allocated_storage_gb: int = Field(20, ge=20, le=1000)
    db_max_allocated_storage_gb: int = Field(50, ge=20, le=1000)
    # Only majors in RDS standard support: 11-13 are paid Extended Support.
    db_engine_major: Literal["16", "17", "18"] = "17"
    db_name: str = "huntaze"
    db_backup_retention_days: int = Field(7, ge=1, le=35)
    cache_node_type: str = "cache.t4g.micro"
    cache_engine_version: str = "8.0"
    uploads_expire_days: int = Field(30, ge=1)
    uploads_cors_origins: tuple[str, ...] = ()
    access_logs_expire_days: int = Field(90, ge=1)
    # Connections kept out of the functions' budget (stacks/connection_budget.py):
    # RDS's own superuser slots (rds.rds_superuser_reserved_connections and
    # superuser_reserved_connections, 5 together), the migrate function and an
    # operator's psql session.
    db_connection_reserve: int = Field(10, ge=0)
    # What every function's database session allows (common.settings.DatabaseSettings):
    # the connect timeout, and server-side limits that end a runaway statement, a lock
    # wait or a session left idle inside a transaction on the server instead of
    # hanging a Lambda; they fit the longest worker timeout (300 s) with room for the
    # retry. 0 disables a limit.
    db_connect_timeout_seconds: int = Field(5, ge=1, le=60)
    db_statement_timeout_ms: int = Field(60_000, ge=0)
    db_lock_timeout_ms: int = Field(10_000, ge=0)
    db_idle_in_transaction_timeout_ms: int = Field(60_000, ge=0)
    # The longest a connection waits on a server it no longer hears from before it is
    # declared dead (packets dropped without a reset: an RDS failover, a NAT/ENI hiccup, a
    # security group change; the statement timeout's error is lost too). libpq's TCP
    # keepalives and tcp_user_timeout derive from it (common.settings). 10 s keeps the
    # router's worst case, this plus a reconnect attempt (db_connect_timeout_seconds), at
    # half of API Gateway's 30 s; a live path in the VPC (sub-millisecond round trips) is
    # never silent that long, and a busy server's kernel still answers the probes, so a
    # long statement is not cut. At least 5 s: the keepalive timings need it.
    db_dead_peer_timeout_seconds: int = Field(10, ge=5, le=60)
