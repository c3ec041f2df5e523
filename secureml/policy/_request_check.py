"""Checks a request against the catalogue before it is evaluated.

A request AWS would never make (an action that does not exist, a resource of
a type the action is not authorized against, a condition key the action never
carries) evaluates to something, but proves nothing: the evaluator reports it
rather than ignore it.
"""

from __future__ import annotations

import functools
import re

from secureml.policy import _catalog as catalog
from secureml.policy._arn import arn_matches
from secureml.policy._conditions import RequestContext
from secureml.policy._lint import STAR_RESOURCE_ACTIONS

__all__ = ["check_request"]

# Request-specific aws: keys that only some actions take (the Service
# Authorization Reference lists them per action); every other aws: key is
# global and checked against GLOBAL_KEYS.
_TAG_KEYS = ("aws:requesttag/", "aws:resourcetag/", "aws:tagkeys")


@functools.lru_cache(maxsize=4096)
def _format_glob(arn_format: str) -> str:
    return re.sub(r"\$\{[^}]*\}", "*", arn_format)


@functools.lru_cache(maxsize=8192)
def _check_action_resource(action: str, resource: str) -> tuple[str, ...]:
    info = catalog.action_info(action)
    if info is None:
        prefix = action.partition(":")[0].lower()
        if prefix in catalog.services():
            return (
                f"{action} is not an action of {prefix} in the catalogue "
                f"({catalog.source()}); AWS would refuse the request as unknown",
            )
        return (
            f"the catalogue does not cover the service {prefix!r}, so {action}, its resource "
            "and context keys are not checked",
        )
    problems = []
    types = info.resource_types
    if resource == "*":
        if types and info.action not in STAR_RESOURCE_ACTIONS:
            problems.append(
                f"{action} is authorized against resource types "
                f"{', '.join(t.name for t in types)}; a request for it carries the resource's "
                "ARN, not '*'"
            )
    elif not types:
        problems.append(
            f"{action} supports no resource-level permission: AWS evaluates it against "
            f"'*', not {resource}"
        )
    elif not any(arn_matches(_format_glob(t.arn), resource) for t in types):
        formats = "; ".join(f"{t.name}: {t.arn}" for t in types)
        problems.append(
            f"{resource} is not a resource {action} is authorized against; its resource "
            f"types are {formats}"
        )
    return tuple(problems)


# Studio sets these on the requests it makes with a user's execution role; AWS's
# Studio admin guide uses them as policy variables (the caller's own user
# profile: user-profile/${sagemaker:DomainId}/${sagemaker:UserProfileName}),
# though no action lists them as a condition key.
_STUDIO_SESSION_KEYS = frozenset({"sagemaker:domainid", "sagemaker:userprofilename"})


@functools.lru_cache(maxsize=8192)
def _check_key(action: str, key: str) -> str | None:
    if catalog.action_info(action) is None:
        return None  # already reported
    low = key.lower()
    if low in _STUDIO_SESSION_KEYS and action.lower().startswith("sagemaker:"):
        return None
    known = catalog.condition_key(key)
    if known is not None and known.deprecated:
        instead = f"; requests carry {known.replaced_by} instead" if known.replaced_by else ""
        return f"context key {key} is deprecated and not in real requests{instead}"
    if low.startswith("aws:") and not low.startswith(_TAG_KEYS):
        if known is None:
            return (
                f"context key {key} is not a global condition key AWS documents; check "
                "the spelling (https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                "reference_policies_condition-keys.html)"
            )
        return None
    if catalog.supports_condition_key(action, key) and (
        not low.startswith(_TAG_KEYS)
        or any(_template_matches(t, low) for t in catalog.condition_keys(action))
    ):
        return None
    return (
        f"context key {key} is not one {action} takes (the catalogue lists "
        f"{', '.join(catalog.condition_keys(action)) or 'none'}); a condition on it "
        "would see a missing key in a real request"
    )


def _template_matches(template: str, key: str) -> bool:
    parts = re.split(r"\$\{[^}]*\}|<[^>]*>", template.lower())
    return re.fullmatch(".+".join(re.escape(p) for p in parts), key) is not None


def check_request(action: str, resource: str, context: RequestContext) -> tuple[str, ...]:
    """What the catalogue finds wrong with the request (empty when nothing)."""
    problems = list(_check_action_resource(action, resource))
    for low in sorted(context.values):
        problem = _check_key(action, context.names[low])
        if problem:
            problems.append(problem)
    return tuple(problems)
