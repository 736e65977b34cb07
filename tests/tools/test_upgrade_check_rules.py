"""The upgrade check's rules on small hand-written templates: one hazard each, and its harmless twin."""

from __future__ import annotations

import copy

import pytest

from tools.upgrade_check import check
from tools.upgrade_check.plan import plan
from tools.upgrade_check.rules import (
    EXPORT_IN_USE,
    FIXED_NAME,
    RETAINED,
    STATEFUL,
    Acknowledgement,
    findings,
    load_acknowledgements,
    unacknowledged,
)

REGION = "us-east-2"
ASSET = "a" * 64
NEW_ASSET = "b" * 64


def template(**resources: dict) -> dict:
    return {"Resources": resources}


def budget(threshold: float, name: str | None = "huntaze-dev-monthly") -> dict:
    data = {"BudgetType": "COST", "TimeUnit": "MONTHLY", "BudgetLimit": {"Amount": 40, "Unit": "USD"}}
    if name:
        data["BudgetName"] = name
    notification = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": threshold}
    return {
        "Type": "AWS::Budgets::Budget",
        "Properties": {
            "Budget": data,
            "NotificationsWithSubscribers": [
                {"Notification": notification, "Subscribers": [{"SubscriptionType": "SNS", "Address": "arn"}]}
            ],
        },
    }


def instance(image: str) -> dict:
    return {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": image, "InstanceType": "t4g.nano"}}


def rules_of(base: dict, change: dict) -> list[tuple[str, str, str]]:
    return [(f.rule, f.stack, f.logical_id) for f in findings(plan(base, change, REGION), REGION)]


# --- fixed name -----------------------------------------------------------------------


def test_replacing_a_resource_whose_name_stays_is_a_finding():
    # Given a named budget / When its threshold (create-only notifications) changes
    base, change = {"Mon": template(Budget=budget(100))}, {"Mon": template(Budget=budget(90))}
    # Then the replacement would collide with the name it keeps
    assert rules_of(base, change) == [(FIXED_NAME, "Mon", "Budget")]


def test_replacing_an_unnamed_resource_is_no_finding():
    base, change = {"Mon": template(Budget=budget(100, name=None))}, {"Mon": template(Budget=budget(90, name=None))}
    result = plan(base, change, REGION)
    assert [(r.logical_id, r.action) for r in result.resources] == [("Budget", "replace")]
    assert findings(result, REGION) == []


def test_a_renamed_resource_does_not_collide_with_its_old_name():
    base = {"Mon": template(Budget=budget(100, name="old"))}
    change = {"Mon": template(Budget=budget(90, name="new"))}
    assert rules_of(base, change) == []


def test_a_name_taken_by_a_new_logical_id_is_a_finding():
    # Given a named budget / When its construct id changes (a new logical id, same name)
    base, change = {"Mon": template(Budget=budget(100))}, {"Mon": template(MonthlyBudget=budget(100))}
    # Then the new one is created first, under the name the old one still holds
    assert rules_of(base, change) == [(FIXED_NAME, "Mon", "Budget")]


# --- stateful ----------------------------------------------------------------------------


def queue(fifo: bool) -> dict:
    return {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": fifo, "VisibilityTimeout": 60}}


def test_replacing_a_stateful_resource_is_a_finding():
    # Given an unnamed queue / When it becomes FIFO (create-only)
    base, change = {"Video": template(Queue=queue(False))}, {"Video": template(Queue=queue(True))}
    # Then its messages would be lost to a new, empty queue
    assert rules_of(base, change) == [(STATEFUL, "Video", "Queue")]


def test_updating_a_stateful_resource_in_place_is_no_finding():
    base = {"Video": template(Queue=queue(False))}
    change = copy.deepcopy(base)
    change["Video"]["Resources"]["Queue"]["Properties"]["VisibilityTimeout"] = 120
    assert plan(base, change, REGION).resources == []


def test_replacement_follows_a_ref_to_a_replaced_resource():
    # Given a subnet, an instance in it and a database whose subnet group lists it
    def stack(cidr: str) -> dict:
        return template(
            Subnet={"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": "vpc-1", "CidrBlock": cidr}},
            Db={
                "Type": "AWS::RDS::DBInstance",
                "Properties": {"DBSubnetGroupName": {"Ref": "Group"}, "DBInstanceClass": "db.t4g.micro"},
            },
            Group={
                "Type": "AWS::RDS::DBSubnetGroup",
                "Properties": {"DBSubnetGroupDescription": "d", "SubnetIds": [{"Ref": "Subnet"}]},
            },
            Nat={"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-1", "SubnetId": {"Ref": "Subnet"}}},
        )

    # When only the subnet's CIDR changes
    result = plan({"Data": stack("10.0.0.0/24")}, {"Data": stack("10.0.1.0/24")}, REGION)
    # Then the subnet is replaced, and so is the instance whose create-only SubnetId reads it;
    # the subnet group only updates its SubnetIds, so the database stays
    replaced = {r.logical_id: r.causes[0] for r in result.replaced()}
    assert set(replaced) == {"Subnet", "Nat"}
    assert (replaced["Nat"].path, replaced["Nat"].via) == ("SubnetId", "Subnet")


def test_a_create_only_property_following_an_ssm_parameter_is_a_warning_not_a_finding():
    # Given an instance whose AMI is the latest one an SSM parameter names, in base and change alike
    latest = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64"
    stack = template(Nat=instance({"Ref": "Ami"}))
    stack["Parameters"] = {"Ami": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": latest}}
    result = check({"Net": stack}, {"Net": copy.deepcopy(stack)}, REGION)
    # Then the report warns that a later deploy may replace it, and nothing fails
    assert [(r.logical_id, r.action) for r in result.plan.resources] == [("Nat", "may-replace")]
    assert f" └─ [~] ImageId (may require replacement: {latest} is resolved again at each deploy)" in result.text
    assert result.findings == []


# --- exports ----------------------------------------------------------------------------


def network_and_monitoring(image: str, *, imported: bool = True) -> dict:
    export = "Net:InstanceId"
    alarm = {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Dimensions": [{"Value": {"Fn::ImportValue": export}}]}}
    return {
        "Net": {
            "Resources": {"Nat": instance(image)},
            "Outputs": {"NatId": {"Value": {"Ref": "Nat"}, "Export": {"Name": export}}},
        },
        "Mon": template(Alarm=alarm) if imported else template(),
    }


def test_changing_an_export_another_stack_imports_is_a_finding():
    # Given an instance id exported to an alarm / When a new AMI replaces the instance
    found = findings(plan(network_and_monitoring("ami-1"), network_and_monitoring("ami-2"), REGION), REGION)
    # Then the export's value changes while it is in use
    assert [(f.rule, f.stack, f.logical_id) for f in found] == [(EXPORT_IN_USE, "Net", "NatId")]
    assert "Mon" in found[0].message


def test_removing_an_export_in_use_is_a_finding():
    base = network_and_monitoring("ami-1")
    change = copy.deepcopy(base)
    del change["Net"]["Outputs"]
    assert rules_of(base, change) == [(EXPORT_IN_USE, "Net", "NatId")]


def test_changing_an_export_nobody_imports_is_no_finding():
    base, change = network_and_monitoring("ami-1", imported=False), network_and_monitoring("ami-2", imported=False)
    result = plan(base, change, REGION)
    assert [(e.name, e.action, e.importers) for e in result.exports] == [("Net:InstanceId", "change", [])]
    assert findings(result, REGION) == []


def test_a_changed_import_replaces_what_reads_it_in_a_create_only_property():
    # Given a subnet whose VpcId (create-only) is imported from a VPC that gets replaced
    def app(cidr: str) -> dict:
        return {
            "Net": {
                "Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr}}},
                "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}, "Export": {"Name": "Net:Vpc"}}},
            },
            "Data": template(
                Subnet={
                    "Type": "AWS::EC2::Subnet",
                    "Properties": {"VpcId": {"Fn::ImportValue": "Net:Vpc"}, "CidrBlock": "10.0.0.0/24"},
                }
            ),
        }

    result = plan(app("10.0.0.0/16"), app("10.1.0.0/16"), REGION)
    assert {(r.stack, r.logical_id) for r in result.replaced()} == {("Net", "Vpc"), ("Data", "Subnet")}
    assert {(f.rule, f.logical_id) for f in findings(result, REGION)} == {(EXPORT_IN_USE, "VpcId")}


# --- retained ---------------------------------------------------------------------------


def retained_bucket(policy: str) -> dict:
    return {"Type": "AWS::S3::Bucket", "DeletionPolicy": policy, "Properties": {}}


@pytest.mark.parametrize("policy", ["Retain", "RetainExceptOnCreate", "Snapshot"])
def test_deleting_a_retained_resource_is_a_finding(policy):
    base, change = (
        {"Data": template(Uploads=retained_bucket(policy), Other=queue(False))},
        {"Data": template(Other=queue(False))},
    )
    assert rules_of(base, change) == [(RETAINED, "Data", "Uploads")]


def test_moving_a_retained_resource_to_a_new_logical_id_is_a_finding():
    base = {"Data": template(Uploads=retained_bucket("Retain"))}
    change = {"Data": template(UploadsBucket=retained_bucket("Retain"))}
    found = findings(plan(base, change, REGION), REGION)
    assert [(f.rule, f.logical_id) for f in found] == [(RETAINED, "Uploads")]
    assert "new logical id UploadsBucket" in found[0].message


def test_deleting_a_resource_without_a_retain_policy_is_no_finding():
    base, change = {"Data": template(Scratch=retained_bucket("Delete"))}, {"Data": template()}
    assert rules_of(base, change) == []


# --- code-only changes -----------------------------------------------------------------


def function_stack(asset: str, version_hash: str) -> dict:
    return template(
        Fn={
            "Type": "AWS::Lambda::Function",
            "Properties": {"Code": {"S3Bucket": "assets", "S3Key": f"{asset}.zip"}, "FunctionName": "huntaze-video"},
        },
        **{
            f"FnCurrentVersion1A2B3C4D{version_hash}": {
                "Type": "AWS::Lambda::Version",
                "DeletionPolicy": "Retain",
                "Properties": {"FunctionName": {"Ref": "Fn"}},
            }
        },
    )


def test_a_code_only_change_replaces_nothing():
    # Given a named function with a retained current version / When only its code (asset hash) changes
    base = {"Video": function_stack(ASSET, "0" * 32)}
    change = {"Video": function_stack(NEW_ASSET, "f" * 32)}
    # Then nothing is replaced, removed or added: no finding
    assert plan(base, change, REGION).resources == []
    assert findings(plan(base, change, REGION), REGION) == []


# --- report and acknowledgements -------------------------------------------------------


def test_the_report_reads_like_cdk_diff():
    result = check(network_and_monitoring("ami-1"), network_and_monitoring("ami-2"), REGION)
    lines = result.text.splitlines()
    assert lines[:5] == [
        "Stack Net",
        "[~] AWS::EC2::Instance Nat replace",
        " └─ [~] ImageId (requires replacement)",
        "     ├─ [-] ami-1",
        "     └─ [+] ami-2",
    ]
    assert "[~] Output NatId (export Net:InstanceId) changes (Nat replaced), imported by Mon" in lines
    assert lines[-1] == "Upgrade check: 1 finding(s) to fix, 0 acknowledged."
    assert [f.logical_id for f in result.failing] == ["NatId"]


def test_an_acknowledged_finding_does_not_fail():
    found = findings(plan(network_and_monitoring("ami-1"), network_and_monitoring("ami-2"), REGION), REGION)
    ack = Acknowledgement("Net", "NatId", EXPORT_IN_USE, "two deploys planned")
    assert unacknowledged(found, [ack]) == []
    assert unacknowledged(found, [Acknowledgement("Net", "NatId", FIXED_NAME, "other rule")]) == found


def test_the_shipped_acknowledgements_parse():
    assert all(a.reason for a in load_acknowledgements())


def test_an_acknowledgement_without_a_reason_is_refused(tmp_path):
    path = tmp_path / "acks.toml"
    path.write_text('[[acknowledged]]\nstack = "Net"\nlogical_id = "NatId"\nrule = "export-in-use"\n')
    with pytest.raises(ValueError, match="entry 1 needs"):
        load_acknowledgements(path)
