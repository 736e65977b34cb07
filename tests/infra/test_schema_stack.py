"""Schema stack: migrations run on deploy, after the data tier, in a stack of their own."""

from __future__ import annotations

from aws_cdk.assertions import Match


def test_migrations_run_on_deploy_through_a_trigger(templates):
    t = templates["Schema"]
    triggers = t.find_resources("Custom::Trigger")
    assert len(triggers) == 1
    trigger = next(iter(triggers.values()))["Properties"]
    assert trigger["InvocationType"] == "RequestResponse"
    assert trigger["ExecuteOnHandlerChange"] is True
    t.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "migrate.handler.lambda_handler",
            "Architectures": ["arm64"],
            "VpcConfig": Match.any_value(),
            "Environment": {"Variables": Match.object_like({"DB_SECRET_ARN": Match.any_value()})},
        },
    )


def test_schema_deploys_after_the_whole_data_stack(stacks):
    # A stack dependency: the database and its security-group rules all exist first,
    # and a failing migration rolls back this stack only, never the database.
    assert stacks.data in stacks.schema.dependencies


def test_the_trigger_waits_longer_than_the_migrations_may_run(templates):
    # A provider timeout equal to the function's reports a slow migration as a socket error.
    t = templates["Schema"]
    trigger = next(iter(t.find_resources("Custom::Trigger").values()))["Properties"]
    migrate = next(
        r["Properties"]
        for r in t.find_resources("AWS::Lambda::Function").values()
        if r["Properties"].get("Handler") == "migrate.handler.lambda_handler"
    )
    assert int(trigger["Timeout"]) >= (migrate["Timeout"] + 30) * 1000
