"""Data stack: PostgreSQL, the Valkey cache, the uploads bucket, and the schema."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from constructs import Construct

from common import names
from stacks import function_settings
from stacks.config import StageConfig
from stacks.constructs.nag import acknowledge, acknowledge_cdk_provider
from stacks.constructs.nag_checkov import acknowledge_checkov
from stacks.constructs.python_function import DatabaseAccess
from stacks.constructs.secure_parameter import SecureParameter
from stacks.db_roles import DB_ROLES
from stacks.deploy_access import read_only_deploy_role_arns
from stacks.function_settings import EVENTS_PREFIX, UPLOADS_PREFIX
from stacks.naming import publish_id
from stacks.network import NetworkStack

POSTGRES_PORT = 5432
VALKEY_PORT = 6379


class DataStack(cdk.Stack):
    """The stateful tier. RETAIN and protected in prod, destroyable in dev."""

    def __init__(
        self, scope: Construct, construct_id: str, *, cfg: StageConfig, network: NetworkStack, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, termination_protection=cfg.retain_data, **kwargs)
        self.cfg = cfg
        self.vpc = network.vpc
        self.workers_sg = network.workers_sg
        # Function name (DB_ROLES key) -> the function that logs in as that role.
        self.database_clients: dict[str, lambda_.Function] = {}
        # Prod keeps its data on update and delete, but a failed first create still
        # cleans up after itself (RetainExceptOnCreate), so a retry does not collide
        # with retained, fixed-name leftovers.
        self.removal_policy = (
            cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE if cfg.retain_data else cdk.RemovalPolicy.DESTROY
        )

        self._database()
        self._cache()
        self._uploads_bucket()
        self._integration_secrets()

    # -- PostgreSQL -----------------------------------------------------------
    def _database(self) -> None:
        d = self.cfg.data
        self.db_sg = ec2.SecurityGroup(
            self, "DbSg", vpc=self.vpc, description="PostgreSQL: workers only", allow_all_outbound=False
        )
        self.db_sg.add_ingress_rule(self.workers_sg, ec2.Port.tcp(POSTGRES_PORT), "Lambda workers")
        engine = rds.DatabaseInstanceEngine.postgres(
            version=getattr(rds.PostgresEngineVersion, f"VER_{d.db_engine_major}")
        )
        params = rds.ParameterGroup(
            self,
            "DbParams",
            engine=engine,
            description="Huntaze PostgreSQL: TLS only, slow statements logged",
            parameters={"rds.force_ssl": "1", "log_min_duration_statement": "1000"},
        )
        self.db = rds.DatabaseInstance(
            self,
            "Postgres",
            engine=engine,
            instance_type=ec2.InstanceType(d.db_instance_class),
            vpc=self.vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            security_groups=[self.db_sg],
            port=POSTGRES_PORT,
            credentials=rds.Credentials.from_generated_secret(
                "huntaze_admin", secret_name=f"{self.cfg.prefix}/db/admin"
            ),
            database_name=d.db_name,
            parameter_group=params,
            allocated_storage=d.db_allocated_storage_gb,
            max_allocated_storage=d.db_max_allocated_storage_gb,
            storage_type=rds.StorageType.GP3,
            storage_encrypted=True,
            iam_authentication=True,
            publicly_accessible=False,
            multi_az=False,
            backup_retention=cdk.Duration.days(d.db_backup_retention_days),
            preferred_backup_window="08:00-08:30",
            auto_minor_version_upgrade=True,
            deletion_protection=self.cfg.retain_data,
            delete_automated_backups=not self.cfg.retain_data,
            removal_policy=self.removal_policy,
        )
        self.db_secret = self.db.secret
        # The master password must outlive the stack as long as the database does.
        self.db.node.find_child("Secret").apply_removal_policy(self.removal_policy)
        acknowledge(
            self.db,
            {
                "AwsSolutions-RDS3": "Multi-AZ doubles the instance cost; the budget design runs one "
                "db.t4g.micro with automated backups and point-in-time restore instead.",
                "AwsSolutions-RDS11": "The database sits in isolated subnets behind a security group that admits "
                "only the workers; a non-default port adds no protection there.",
            },
        )
        acknowledge_checkov(
            self.db,
            {
                "CKV_AWS_157": "Budget choice: Multi-AZ doubles the instance cost; one db.t4g.micro with automated "
                "backups and point-in-time restore instead.",
                "CKV_AWS_118": "Budget choice: enhanced monitoring bills its CloudWatch Logs ingestion; the "
                "standard RDS metrics feed the alarms (CPU, storage, connections).",
            },
        )
        if not self.cfg.retain_data:
            acknowledge(
                self.db,
                {"AwsSolutions-RDS10": "Dev is disposable by design (cdk destroy); prod sets deletion protection."},
            )
        acknowledge(
            self.db,
            {
                "AwsSolutions-SMG4": "Only the migrate function reads the master secret, during deploys; the "
                "functions log in with IAM tokens. Rotation needs a rotation function in the VPC, planned with "
                "the secrets runbook.",
            },
        )

    # -- Valkey (ElastiCache) -------------------------------------------------
    def _cache(self) -> None:
        d = self.cfg.data
        self.cache_sg = ec2.SecurityGroup(
            self, "CacheSg", vpc=self.vpc, description="Valkey: workers only", allow_all_outbound=False
        )
        self.cache_sg.add_ingress_rule(self.workers_sg, ec2.Port.tcp(VALKEY_PORT), "Lambda workers")
        # No password: one user, authenticated with IAM (elasticache:Connect, granted per
        # function), in a user group of its own. IAM auth needs the user id and name to match.
        self.cache_user_id = user_id = f"{self.cfg.prefix}-router"
        self.cache_user = elasticache.CfnUser(
            self,
            "CacheRouterUser",
            engine="valkey",
            user_id=user_id,
            user_name=user_id,
            access_string="on ~* +@all -@dangerous",
            authentication_mode={"Type": "iam"},
        )
        self.cache_user_group = elasticache.CfnUserGroup(
            self,
            "CacheUsers",
            engine="valkey",
            user_group_id=f"{self.cfg.prefix}-cache",
            user_ids=[self.cache_user.ref],
        )
        subnets = elasticache.CfnSubnetGroup(
            self,
            "CacheSubnets",
            description="Huntaze cache subnets",
            subnet_ids=self.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED).subnet_ids,
        )
        self.cache = elasticache.CfnReplicationGroup(
            self,
            "Valkey",
            replication_group_description="Huntaze router cache",
            engine="valkey",
            engine_version=d.cache_engine_version,
            cache_node_type=d.cache_node_type,
            num_cache_clusters=1,
            automatic_failover_enabled=False,
            multi_az_enabled=False,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            at_rest_encryption_enabled=True,
            user_group_ids=[self.cache_user_group.ref],
            cache_subnet_group_name=subnets.ref,
            security_group_ids=[self.cache_sg.security_group_id],
            port=VALKEY_PORT,
            snapshot_retention_limit=1 if self.cfg.retain_data else 0,
        )
        self.cache.apply_removal_policy(self.removal_policy)
        # The Monitoring stack finds both by these, not by an export.
        publish_id(self.cache, self.cfg, "cache", self.cache.ref)
        publish_id(self.db, self.cfg, "database", self.db.instance_identifier)
        # Transition (issue 18 item 8): Monitoring imported these until this change. Kept one release so
        # this stack can deploy before Monitoring drops its imports; remove once every stage has deployed it.
        self.export_value(self.db.instance_identifier)
        self.export_value(self.cache.ref)
        self.cache_endpoint = self.cache.attr_primary_end_point_address
        # With in-transit encryption the primary endpoint is "master.<group id>.<hash>.<region>.cache.amazonaws.com":
        # the id (which IAM tokens are signed for) comes from the endpoint every consumer already imports,
        # so no new cross-stack export is needed (consumers can deploy before this stack).
        self.cache_name = cdk.Fn.select(1, cdk.Fn.split(".", self.cache_endpoint))
        acknowledge(
            self.cache,
            {
                "AwsSolutions-AEC4": "The cache only holds router responses that can be recomputed; "
                "a replica would double its cost for no durability gain.",
                "AwsSolutions-AEC5": "The cache sits in isolated subnets behind a security group that admits only "
                "the workers, with TLS and IAM authentication; a non-default port adds no protection there.",
                "AwsSolutions-AEC6": "Clients authenticate with ElastiCache IAM auth (a user group whose only user "
                "requires IAM tokens), which replaces the AUTH token this rule looks for.",
            },
        )

    # -- S3 uploads -----------------------------------------------------------
    def _uploads_bucket(self) -> None:
        d = self.cfg.data
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(d.access_logs_expire_days))],
            removal_policy=self.removal_policy,
            auto_delete_objects=not self.cfg.retain_data,
        )
        acknowledge(
            self.access_logs, {"AwsSolutions-S1": "This is the access-log bucket itself; logging it would loop."}
        )
        acknowledge_checkov(
            self.access_logs,
            {
                "CKV_AWS_18": "This is the access-log bucket itself; logging it would loop.",
                "CKV_AWS_21": "Access logs are written once and expire by lifecycle; versions would only keep "
                "expired logs longer.",
            },
        )
        cors = []
        if d.uploads_cors_origins:
            cors.append(
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.PUT],
                    allowed_origins=list(d.uploads_cors_origins),
                    allowed_headers=["content-type", "content-length"],
                    max_age=3000,
                )
            )
        self.uploads = s3.Bucket(
            self,
            "Uploads",
            bucket_name=self.uploads_bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="uploads-bucket/",
            cors=cors or None,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-raw-uploads",
                    prefix=UPLOADS_PREFIX,
                    expiration=cdk.Duration.days(d.uploads_expire_days),
                ),
                s3.LifecycleRule(
                    id="expire-event-imports",
                    prefix=EVENTS_PREFIX,
                    expiration=cdk.Duration.days(d.uploads_expire_days),
                ),
                s3.LifecycleRule(
                    id="abort-incomplete-multipart", abort_incomplete_multipart_upload_after=cdk.Duration.days(1)
                ),
            ],
            removal_policy=self.removal_policy,
            auto_delete_objects=not self.cfg.retain_data,
        )
        acknowledge_checkov(
            self.uploads,
            {
                "CKV_AWS_21": "Raw uploads are inputs that expire by lifecycle once analysed (the results live in "
                "PostgreSQL); versions would keep every video past its expiry, at S3 storage cost.",
            },
        )
        # The CDK lookup roles hold AWS's ReadOnlyAccess, which reads S3 objects; the
        # pull-request diff reaches this account through one. Uploads are users' videos.
        self.uploads.add_to_resource_policy(
            iam.PolicyStatement(
                sid="NoObjectReadsByReadOnlyDeployRoles",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes"],
                resources=[self.uploads.arn_for_objects("*")],
                conditions={"ArnLike": {"aws:PrincipalArn": read_only_deploy_role_arns(self)}},
            )
        )
        acknowledge_cdk_provider(
            self, "Custom::S3AutoDeleteObjectsCustomResourceProvider", "auto-delete provider (dev only)"
        )

    @property
    def uploads_bucket_name(self) -> str:
        """A name every stack can compute (pseudo-parameters, no export), so grants and
        their nag findings read the same in the Video and Router stacks."""
        return names.uploads_bucket(self.cfg.prefix, cdk.Aws.ACCOUNT_ID, cdk.Aws.REGION)

    @property
    def uploads_objects_finding(self) -> str:
        """How cdk-nag names a grant on ``uploads/*`` (for acknowledging IAM5 on it)."""
        return self.objects_finding(UPLOADS_PREFIX)

    def objects_finding(self, prefix: str) -> str:
        """How cdk-nag names a grant on ``<prefix>*`` of the uploads bucket."""
        arn = f"arn:<AWS::Partition>:s3:::{names.uploads_bucket(self.cfg.prefix, '<AWS::AccountId>', '<AWS::Region>')}"
        return f"Resource::{arn}/{prefix}*"

    def uploads_bucket(self, scope: Construct) -> s3.IBucket:
        """The uploads bucket as seen from another stack; notifications added to it
        live in that stack, so Data never depends on its consumers."""
        return s3.Bucket.from_bucket_name(scope, "Uploads", self.uploads_bucket_name)

    # -- Keys of outside services ---------------------------------------------
    def _integration_secrets(self) -> None:
        """SSM SecureString parameters the operator creates before the first deploy
        (docs/deploy.md): issued outside AWS (Azure AI Foundry, Slack), never rotated by it."""
        self.azure_key = SecureParameter(f"/{self.cfg.prefix}/azure/api-key")
        self.slack_webhook = SecureParameter(self.cfg.monitoring.slack_parameter_name(self.cfg.prefix))

    def azure_environment(self) -> dict[str, str]:
        return {**function_settings.azure(self.cfg), "AZURE_AI_KEY_PARAMETER": self.azure_key.name}

    def grant_azure(self, grantee: iam.IGrantable) -> None:
        self.azure_key.grant_read(grantee)

    def slack_environment(self) -> dict[str, str]:
        return {"SLACK_WEBHOOK_PARAMETER": self.slack_webhook.name}

    def grant_slack(self, grantee: iam.IGrantable) -> None:
        self.slack_webhook.grant_read(grantee)

    def database_access(self, function: str) -> DatabaseAccess:
        """The one call that wires a function to the database as ``function``'s own role (DB_ROLES):
        pass it as ``database=`` to PythonFunction/QueueWorker (VPC, security group, environment, grant)."""
        return DatabaseAccess(self.vpc, [self.workers_sg], lambda fn: self._connect_as(fn, function))

    def master_database_access(self) -> DatabaseAccess:
        """The master user, which owns the schema: for the migrate function only."""
        return DatabaseAccess(self.vpc, [self.workers_sg], self._connect_as_master)

    def _connect_as(self, fn: lambda_.Function, function: str) -> None:
        """Let ``fn`` log in as ``function``'s own role with IAM auth tokens:
        rds-db:connect for exactly that database user, and where to connect."""
        user = DB_ROLES[function]
        self.db.grant_connect(fn, user)
        fn.add_environment("DB_HOST", self.db.db_instance_endpoint_address)
        fn.add_environment("DB_PORT", str(POSTGRES_PORT))
        fn.add_environment("DB_NAME", self.cfg.data.db_name)
        fn.add_environment("DB_USER", user)
        self._session_limits(fn)
        self.database_clients[function] = fn

    def _connect_as_master(self, fn: lambda_.Function) -> None:
        self.db_secret.grant_read(fn)
        fn.add_environment("DB_SECRET_ARN", self.db_secret.secret_arn)
        self._session_limits(fn)

    def _session_limits(self, fn: lambda_.Function) -> None:
        for name, value in function_settings.database(self.cfg).items():
            fn.add_environment(name, value)

    def grant_cache(self, grantee: iam.IGrantable) -> None:
        """elasticache:Connect as the cache's IAM user, on this replication group only."""
        arn = f"arn:{cdk.Aws.PARTITION}:elasticache:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}"
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["elasticache:Connect"],
                resources=[f"{arn}:replicationgroup:{self.cache_name}", f"{arn}:user:{self.cache_user_id}"],
            )
        )

    def cache_environment(self) -> dict[str, str]:
        return {
            "REDIS_HOST": self.cache_endpoint,
            "REDIS_PORT": str(VALKEY_PORT),
            "REDIS_TLS": "true",
            "REDIS_IAM_USER": self.cache_user_id,
            "REDIS_CACHE_NAME": self.cache_name,
        }
