"""Data stack: PostgreSQL, Valkey and the uploads bucket, as the budget design sets them (docs/architecture.md)."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match


def _one(template, type_):
    found = template.find_resources(type_)
    assert len(found) == 1, f"expected one {type_}, found {len(found)}"
    return next(iter(found.values()))


def test_postgres_is_a_supported_major_on_t4g_micro_gp3_20gb(templates):
    db = _one(templates["Data"], "AWS::RDS::DBInstance")["Properties"]
    assert db["Engine"] == "postgres"
    assert int(str(db["EngineVersion"]).split(".")[0]) >= 16  # 11-13 are paid Extended Support
    assert db["DBInstanceClass"] == "db.t4g.micro"
    assert db["StorageType"] == "gp3"
    assert db["AllocatedStorage"] == "20"


def test_postgres_is_private_encrypted_backed_up_and_iam_enabled(templates):
    db = _one(templates["Data"], "AWS::RDS::DBInstance")["Properties"]
    assert db["PubliclyAccessible"] is False
    assert db["StorageEncrypted"] is True
    assert db["BackupRetentionPeriod"] >= 1
    assert db["EnableIAMDatabaseAuthentication"] is True
    assert db["MasterUserPassword"]["Fn::Join"]  # resolved from the generated secret


def test_postgres_credentials_are_generated_into_secrets_manager(templates):
    templates["Data"].has_resource_properties(
        "AWS::SecretsManager::Secret",
        {"Name": "huntaze-dev/db/admin", "GenerateSecretString": Match.object_like({"GenerateStringKey": "password"})},
    )


def test_postgres_forces_tls(templates):
    templates["Data"].has_resource_properties(
        "AWS::RDS::DBParameterGroup", {"Parameters": Match.object_like({"rds.force_ssl": "1"})}
    )


def test_database_and_cache_admit_only_the_workers_security_group(templates):
    rules = templates["Data"].find_resources("AWS::EC2::SecurityGroupIngress")
    ports = sorted(r["Properties"]["FromPort"] for r in rules.values())
    assert ports == [5432, 6379]
    for rule in rules.values():
        assert "SourceSecurityGroupId" in rule["Properties"]
        assert "CidrIp" not in rule["Properties"]


def test_valkey_on_t4g_micro_with_tls_and_iam_auth_only(templates, cfg):
    cache = _one(templates["Data"], "AWS::ElastiCache::ReplicationGroup")["Properties"]
    assert cache["Engine"] == "valkey"
    assert cache["CacheNodeType"] == "cache.t4g.micro"
    assert cache["TransitEncryptionEnabled"] is True and cache["TransitEncryptionMode"] == "required"
    assert cache["AtRestEncryptionEnabled"] is True
    assert "AuthToken" not in cache  # no shared password: the user group's IAM user instead
    # Its user group holds one user, who can only log in with an IAM token (id == name, as IAM auth needs)
    group = _one(templates["Data"], "AWS::ElastiCache::UserGroup")["Properties"]
    user = _one(templates["Data"], "AWS::ElastiCache::User")["Properties"]
    assert cache["UserGroupIds"] == [
        {"Ref": next(iter(templates["Data"].find_resources("AWS::ElastiCache::UserGroup")))}
    ]
    assert (group["Engine"], len(group["UserIds"])) == ("valkey", 1)
    assert user["AuthenticationMode"] == {"Type": "iam"}
    assert user["UserId"] == user["UserName"] == f"{cfg.prefix}-router"


def test_router_may_connect_to_the_cache_only_as_its_iam_user(templates, cfg):
    router_policies = json.dumps(templates["Router"].find_resources("AWS::IAM::Policy"))
    assert '"elasticache:Connect"' in router_policies
    assert f":user:{cfg.prefix}-router" in router_policies and ":replicationgroup:" in router_policies


def test_uploads_bucket_is_private_tls_only_and_encrypted(templates):
    t = templates["Data"]
    buckets = t.find_resources("AWS::S3::Bucket", {"Properties": {"LoggingConfiguration": Match.any_value()}})
    assert len(buckets) == 1
    props = next(iter(buckets.values()))["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert (
        props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"][
            "SSEAlgorithm"
        ]
        == "AES256"
    )
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )


def test_uploads_expire_and_incomplete_multipart_uploads_are_aborted(templates, cfg):
    buckets = templates["Data"].find_resources(
        "AWS::S3::Bucket", {"Properties": {"LoggingConfiguration": Match.any_value()}}
    )
    rules = {r["Id"]: r for r in next(iter(buckets.values()))["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-raw-uploads"]["Prefix"] == "uploads/"
    assert rules["expire-raw-uploads"]["ExpirationInDays"] == cfg.data.uploads_expire_days
    assert rules["abort-incomplete-multipart"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}


def test_uploads_allow_browser_put_from_configured_origins_only(templates, cfg):
    buckets = templates["Data"].find_resources(
        "AWS::S3::Bucket", {"Properties": {"CorsConfiguration": Match.any_value()}}
    )
    cors = next(iter(buckets.values()))["Properties"]["CorsConfiguration"]["CorsRules"]
    assert cors == [Match.any_value()] or len(cors) == 1
    assert cors[0]["AllowedMethods"] == ["PUT"]
    assert cors[0]["AllowedOrigins"] == list(cfg.data.uploads_cors_origins)


def test_dev_data_is_destroyable(templates):
    t = templates["Data"]
    db = _one(t, "AWS::RDS::DBInstance")
    assert db["DeletionPolicy"] == "Delete"
    assert db["Properties"]["DeletionProtection"] is False


def test_prod_data_is_retained_and_protected(prod_stacks, prod_templates):
    t = prod_templates["Data"]
    db = _one(t, "AWS::RDS::DBInstance")
    assert db["Properties"]["DeletionProtection"] is True
    # Kept on update and delete; a failed first create still cleans up (no fixed-name leftovers).
    stateful = [
        db,
        _one(t, "AWS::ElastiCache::ReplicationGroup"),
        *t.find_resources("AWS::S3::Bucket").values(),
        *t.find_resources("AWS::SecretsManager::Secret").values(),
    ]
    assert len(stateful) == 5  # db, cache, 2 buckets, the db admin secret (the others are SSM parameters)
    assert {r["DeletionPolicy"] for r in stateful} == {"RetainExceptOnCreate"}
    assert {r["UpdateReplacePolicy"] for r in stateful} == {"Retain"}
    assert prod_stacks.data.termination_protection is True
