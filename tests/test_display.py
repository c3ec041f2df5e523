"""Readable objects: what a notebook shows for personas, activities, policies,
resources, plans, changes and findings, and persona.describe() in plain words."""

from __future__ import annotations

import json
from typing import Any

import secureml as sm
from secureml import activities as act
from secureml.testing import mock_session

NET = sm.NetworkSettings(subnets=["subnet-0abc1234"], security_groups=["sg-0abc1234"])
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


class _Printer:
    """What IPython passes to ``_repr_pretty_``: an object with ``text``."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def text(self, text: str) -> None:
        self.parts.append(text)


def pretty(value: Any) -> str:
    printer = _Printer()
    value._repr_pretty_(printer, False)
    return "".join(printer.parts)


def _ds() -> sm.Persona:
    return sm.DataScientist(
        "team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"], network=NET,
        encryption=sm.EncryptionSettings(volume_kms_key=KEY),
    )


def test_a_persona_shows_its_activities_inputs_settings_and_sizes() -> None:
    text = pretty(_ds())

    assert text.startswith("DataScientist persona 'team-a-ds'")
    assert "S3 Bucket Access (buckets: team-a-data (the persona's))" in text
    assert "Manage ML Jobs (pass_roles: team-a-compute (the persona's))" in text
    assert "subnets subnet-0abc1234 with security groups sg-0abc1234" in text
    assert f"volumes encrypted with KMS key {KEY}" in text
    assert "characters (limit 6,144 each)" in text
    html = _ds()._repr_html_()
    assert "<table>" in html
    assert "team-a-data (the persona&#x27;s)" in html


def test_an_activity_without_buckets_says_it_uses_the_personas() -> None:
    text = pretty(act.S3BucketAccess())

    assert "buckets      the persona's buckets" in text
    assert "()" not in text
    assert "team-x" in pretty(act.S3BucketAccess(buckets=["team-x"]))


def test_str_of_a_policy_document_is_iam_json() -> None:
    doc = _ds().policy_document(account_id="111122223333", region="us-east-1")

    assert json.loads(str(doc)) == doc.to_dict()
    assert pretty(doc).startswith(f"IAM policy document: {len(doc)} statement(s)")
    assert "<pre>" in doc._repr_html_()


def test_role_and_permission_set_show_the_personas_policies_not_empty_fields() -> None:
    role_text = pretty(_ds().role())
    ps_text = pretty(_ds().permission_set(session_duration="PT8H"))

    assert "policies=()" not in role_text
    assert "trust_policy=None" not in role_text
    docs = _ds().role().documents(None, None)  # shown with account and region as *
    sizes = ", ".join(f"{d.size:,}" for d in docs)
    assert f"own policies  {len(docs)} document(s) of {sizes} characters" in role_text
    assert "trusted by    sagemaker.amazonaws.com" in role_text
    assert "inline policy" in ps_text
    assert "PT8H" in ps_text


def test_plan_change_and_finding_display() -> None:
    role = sm.Compute("c1", buckets=["c1-data"]).role()
    bp = sm.Blueprint("display", [role, sm.BucketPublicAccessBlock(
        "c1-data", block_public_policy=False)])
    with mock_session(bp) as session:
        plan = bp.plan(session)

    assert pretty(plan) == str(plan)
    assert pretty(plan.changes[0]) == str(plan.changes[0])
    html = plan._repr_html_()
    assert "IAM role c1" in html
    assert "0 unchanged" in html
    [(_, finding)] = plan.findings
    assert pretty(finding).startswith("SM020 warning:")
    assert "message" in finding._repr_html_()


def test_describe_says_what_on_what_under_which_guard_rails_and_what_not() -> None:
    text = _ds().describe()

    assert text.startswith("team-a-ds (Data Scientist persona) can:")
    assert "in buckets team-a-data" in text
    assert "pass the roles team-a-compute to SageMaker only" in text
    assert "Under these guard-rails:" in text
    assert "It cannot:" in text
    assert "(no 'Manage Endpoints')" in text
    assert "touch S3 buckets other than team-a-data" in text


def test_describe_of_an_mlops_persona_says_it_has_no_data_access() -> None:
    text = sm.MLOps("ops", pass_roles=["c"]).describe()

    assert "- read or write S3 data" in text
    assert "Guard-rails: none set." in text
