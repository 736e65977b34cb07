"""Secrets Manager reads through Powertools with a per-container cache."""

from __future__ import annotations

import json

import boto3
import pytest

from common import secrets
from common.errors import TransientError


def test_secret_is_cached_until_refresh(aws):
    # Given a secret that has been read once
    sm = boto3.client("secretsmanager")
    arn = sm.create_secret(Name="azure-key", SecretString="key-1")["ARN"]
    assert secrets.get_secret_string(arn) == "key-1"
    # When it is rotated in Secrets Manager
    sm.put_secret_value(SecretId=arn, SecretString="key-2")
    # Then a normal read is served from the cache (no API call would return key-1)
    assert secrets.get_secret_string(arn) == "key-1"
    # And a refresh after an auth failure goes back to the API and re-caches
    assert secrets.get_secret_string(arn, refresh=True) == "key-2"
    sm.put_secret_value(SecretId=arn, SecretString="key-3")
    assert secrets.get_secret_string(arn) == "key-2"


def test_json_secret_is_parsed(aws):
    arn = boto3.client("secretsmanager").create_secret(
        Name="db", SecretString=json.dumps({"username": "app", "password": "pw"})
    )["ARN"]
    assert secrets.get_secret_json(arn) == {"username": "app", "password": "pw"}


def test_unreadable_secret_is_transient(aws):
    with pytest.raises(TransientError) as info:
        secrets.get_secret_string("arn:aws:secretsmanager:us-east-2:123456789012:secret:missing")
    assert info.value.reason == "secret_unavailable"


def test_secure_parameter_is_decrypted_and_cached_until_refresh(aws):
    # Given a SecureString parameter (what the operator creates for the Azure key) read once
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/huntaze-test/azure/api-key", Value="key-1", Type="SecureString")
    assert secrets.get_secure_parameter("/huntaze-test/azure/api-key") == "key-1"
    # When the operator overwrites it
    ssm.put_parameter(Name="/huntaze-test/azure/api-key", Value="key-2", Type="SecureString", Overwrite=True)
    # Then a normal read is served from the cache, and a refresh reads the new value
    assert secrets.get_secure_parameter("/huntaze-test/azure/api-key") == "key-1"
    assert secrets.get_secure_parameter("/huntaze-test/azure/api-key", refresh=True) == "key-2"


def test_missing_parameter_is_transient(aws):
    # Given no parameter of that name (the first-deploy step was skipped)
    with pytest.raises(TransientError) as info:
        secrets.get_secure_parameter("/huntaze-test/slack/webhook")
    # Then the read fails as retryable, naming the parameter
    assert info.value.reason == "secret_unavailable" and "/huntaze-test/slack/webhook" in str(info.value)
