"""Lint findings as data, with every code in one registry."""

from __future__ import annotations

import json
from enum import StrEnum
from types import MappingProxyType

import attrs

from secureml._display import Facts, Readable
from secureml.policy._document import Statement

__all__ = ["FINDING_CODES", "Finding", "FindingCode", "Severity"]


class Severity(StrEnum):
    """How much a finding matters."""

    INFO = "info"
    """Worth knowing; nothing is wrong for sure."""
    WARNING = "warning"
    """Broader than it needs to be, or not doing what it seems to."""
    ERROR = "error"
    """Breaks least privilege or will not work."""


@attrs.frozen
class FindingCode:
    """A registered finding code with its default severity and a one-line title."""

    code: str
    severity: Severity
    title: str


FINDING_CODES: MappingProxyType[str, FindingCode] = MappingProxyType(
    {
        c.code: c
        for c in (
            FindingCode("SM001", Severity.ERROR, 'wildcard action ("Action": "*" or "svc:*")'),
            FindingCode(
                "SM002",
                Severity.ERROR,
                "iam:PassRole without named role resources and an iam:PassedToService condition",
            ),
            FindingCode(
                "SM003",
                Severity.WARNING,
                'Resource "*" on an action that supports resource-level permissions',
            ),
            FindingCode(
                "SM004", Severity.ERROR, "action not in the AWS Service Authorization Reference"
            ),
            FindingCode("SM005", Severity.ERROR, "Allow with NotAction grants everything else"),
            FindingCode("SM006", Severity.ERROR, "S3 data access in an MLOps persona"),
            FindingCode(
                "SM007",
                Severity.WARNING,
                "a guard-rail the persona's settings ask for is missing from a statement",
            ),
            FindingCode("SM008", Severity.INFO, "service not in secureml's action catalogue"),
            FindingCode(
                "SM009", Severity.WARNING, "Allow with NotResource grants every other resource"
            ),
            FindingCode(
                "SM010",
                Severity.WARNING,
                "condition key that an action of the statement does not support",
            ),
            FindingCode(
                "SM011",
                Severity.ERROR,
                "condition key AWS has deprecated (the finding names its replacement)",
            ),
            FindingCode(
                "SM012",
                Severity.WARNING,
                "condition operator that does not fit its key's type or number of values",
            ),
            FindingCode("SM020", Severity.WARNING, "an S3 Block Public Access setting turned off"),
            FindingCode(
                "SM030",
                Severity.WARNING,
                "the update replaces the resource: it is deleted and created again",
            ),
            FindingCode(
                "SM040",
                Severity.WARNING,
                "an activity broader than the persona's named resources (S3 Full Access, "
                "Manage Studio App Images)",
            ),
            FindingCode(
                "SM041",
                Severity.WARNING,
                "a resource wider than the persona's defaults (every bucket or repository, "
                "another account or region)",
            ),
            FindingCode(
                "SM042", Severity.WARNING, "a broad AWS managed policy attached by hand"
            ),
            FindingCode(
                "SM043", Severity.WARNING, "a scope leaves an action unscoped"
            ),
            FindingCode(
                "SM044",
                Severity.INFO,
                "a persona without data access can pass a role that has it",
            ),
        )
    }
)
"""Every finding code secureml emits, by code."""


@attrs.frozen
class Finding(Readable):
    """One lint result: ``code`` from :data:`FINDING_CODES`, its ``severity``,
    a ``message`` that says what is wrong and how to fix it, and the
    ``statement`` concerned (``None`` for findings about a whole persona or
    resource).

    >>> print(Finding.of("SM005", "Allow with NotAction"))
    SM005 error: Allow with NotAction
    """

    code: str = attrs.field(validator=attrs.validators.in_(FINDING_CODES))
    severity: Severity = attrs.field(converter=Severity)
    message: str
    statement: Statement | None = None

    def __str__(self) -> str:
        return f"{self.code} {self.severity.value}: {self.message}"

    def _display_title(self) -> str:
        return f"{self.code} {self.severity.value}: {FINDING_CODES[self.code].title}"

    def _display_facts(self) -> Facts:
        facts = [("message", self.message)]
        if self.statement is not None:
            facts.append(("statement", json.dumps(self.statement.to_dict(), indent=2)))
        return facts

    @classmethod
    def of(cls, code: str, message: str, statement: Statement | None = None) -> Finding:
        """A finding with the registry's default severity for ``code``."""
        return cls(code, FINDING_CODES[code].severity, message, statement)
