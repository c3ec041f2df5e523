"""CloudFormation building blocks shared by the templates: logical ids, tags, limits."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

import attrs

from secureml.errors import ValidationError

__all__ = [
    "MAX_INLINE_TEMPLATE_BYTES",
    "MAX_RESOURCES_PER_STACK",
    "MAX_S3_TEMPLATE_BYTES",
    "LogicalIds",
    "Template",
    "cfn_tags",
]

MAX_INLINE_TEMPLATE_BYTES = 51_200
"""CloudFormation's limit on a template body passed inline (``TemplateBody``)."""

MAX_S3_TEMPLATE_BYTES = 1_000_000
"""CloudFormation's limit on a template read from S3 (``TemplateURL``)."""

MAX_RESOURCES_PER_STACK = 500
"""CloudFormation's limit on the resources one template declares."""

_FORMAT_VERSION = "2010-09-09"


def cfn_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags as CloudFormation lists them: ``[{"Key": ..., "Value": ...}]``, sorted."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


class LogicalIds:
    """Unique, stable logical ids from resource names (letters and digits only; a
    short hash of the name is added when two names would clash)."""

    def __init__(self) -> None:
        self._used: dict[str, str] = {}

    def make(self, prefix: str, name: str) -> str:
        """``prefix`` plus ``name`` in CamelCase, e.g. ``Role`` + ``team-a-ds`` ->
        ``RoleTeamADs``."""
        words = re.findall(r"[A-Za-z0-9]+", name)
        base = (prefix + "".join(w[:1].upper() + w[1:] for w in words))[:200]
        candidate = base
        if self._used.get(candidate, name) != name:
            candidate = base + hashlib.sha256(name.encode()).hexdigest()[:8]
        self._used[candidate] = name
        return candidate


@attrs.frozen
class Template:
    """One exported CloudFormation template.

    ``name`` is the file stem (``member``, ``identity-center``, ``identity-center-2``,
    ``organization``); ``stack`` the stack (or StackSet) name ``deploy`` gives it;
    ``target`` says where it is deployed; ``body`` is the template as a dict;
    ``region`` the region its stack goes to when not the session's (Identity Center's
    home region).
    """

    name: str
    stack: str
    target: str
    body: Mapping[str, Any] = attrs.field(repr=False)
    region: str | None = None

    @property
    def text(self) -> str:
        """The template as it is written to a file (JSON, one-space indent)."""
        return json.dumps(self.body, indent=1) + "\n"

    @property
    def compact(self) -> str:
        """The template as ``deploy`` sends it (JSON without whitespace)."""
        return json.dumps(self.body, separators=(",", ":"))

    @property
    def size(self) -> int:
        """Bytes of :attr:`compact`: what CloudFormation's size limits count."""
        return len(self.compact.encode())

    @property
    def resource_count(self) -> int:
        """How many resources the template declares."""
        return len(self.body.get("Resources", {}))

    @property
    def needs_upload(self) -> bool:
        """Whether the template is too large to pass inline: it must be uploaded to S3
        and passed as ``TemplateURL`` (``deploy(template_bucket=...)`` does that)."""
        return self.size > MAX_INLINE_TEMPLATE_BYTES

    def check(self) -> list[str]:
        """Notes for a template over the inline limit; raises for one over a hard limit."""
        problems = []
        if self.resource_count > MAX_RESOURCES_PER_STACK:
            problems.append(
                f"template {self.name!r} declares {self.resource_count} resources; a stack "
                f"takes at most {MAX_RESOURCES_PER_STACK}. Split the blueprint in two"
            )
        if self.size > MAX_S3_TEMPLATE_BYTES:
            problems.append(
                f"template {self.name!r} is {self.size:,} bytes; CloudFormation reads at most "
                f"{MAX_S3_TEMPLATE_BYTES:,} bytes even from S3. Split the blueprint in two"
            )
        if problems:
            raise ValidationError(problems)
        if self.needs_upload:
            return [
                f"template {self.name!r} is {self.size:,} bytes, over the "
                f"{MAX_INLINE_TEMPLATE_BYTES:,} bytes CloudFormation takes inline: upload it "
                "to S3 and pass its URL (secureml deploy --template-bucket BUCKET does that)"
            ]
        return []


def template_body(
    description: str,
    resources: Mapping[str, Any],
    *,
    parameters: Mapping[str, Any] | None = None,
    outputs: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A template dict with its sections in the usual order (empty ones left out)."""
    body: dict[str, Any] = {"AWSTemplateFormatVersion": _FORMAT_VERSION,
                            "Description": description[:1024]}
    if metadata:
        body["Metadata"] = dict(metadata)
    if parameters:
        body["Parameters"] = dict(parameters)
    body["Resources"] = dict(resources)
    if outputs:
        body["Outputs"] = dict(outputs)
    return body
