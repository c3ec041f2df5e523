"""IAM condition operators, evaluated against a request context.

Every operator of the IAM JSON policy reference (String*, Numeric*, Date*,
Bool, BinaryEquals, IpAddress/NotIpAddress, Arn*, Null), each with its
``...IfExists`` form and the ``ForAllValues:``/``ForAnyValue:`` set qualifiers.
The rules, from the reference's pages on condition operators and on
multivalued context keys:

- several values for one key in a condition: any of them may match (OR);
  for a negated operator (``StringNotEquals``...) none may match;
- a key missing from the request: a positive operator is false, a negated
  operator true, ``...IfExists`` true, ``Null: true`` true;
- ``ForAnyValue``: at least one request value matches; false when the key is
  missing or its set is empty;
- ``ForAllValues``: every request value matches; true when the key is
  missing or its set is empty;
- a multivalued key without a qualifier: as ``ForAnyValue`` (negated
  operators: none of the values may match).

Condition keys are case-insensitive. A :class:`ConditionResult` says why a
condition failed: the key is missing, or which request values matched none
of the policy's values.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import ipaddress
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

import attrs

from secureml.policy._arn import Variables, arn_matches, glob_matches, resolve
from secureml.policy._document import Condition

__all__ = [
    "OPERATORS",
    "ConditionResult",
    "ContextValue",
    "RequestContext",
    "evaluate_condition",
    "parse_operator",
]

ContextValue: TypeAlias = str | bool | int | float | Sequence[str]
"""A request context value: a string, a bool, a number or a list of strings."""


@attrs.frozen
class RequestContext:
    """The request's condition keys, lower-cased, each with its values as
    strings and whether the key is multivalued (given as a list)."""

    values: Mapping[str, tuple[str, ...]]
    multivalued: frozenset[str]
    names: Mapping[str, str]
    """The keys as the caller spelled them, by lower-case key."""

    @classmethod
    def of(cls, context: Mapping[str, ContextValue] | None) -> RequestContext:
        """Normalise a context mapping (keys case-insensitive)."""
        values: dict[str, tuple[str, ...]] = {}
        multi: set[str] = set()
        names: dict[str, str] = {}
        for key, value in (context or {}).items():
            if not isinstance(key, str) or not key:
                raise TypeError(f"context key {key!r} is not a non-empty string")
            low = key.lower()
            names[low] = key
            if isinstance(value, str | bool | int | float):
                values[low] = (_text(value),)
            elif isinstance(value, Sequence) and not isinstance(value, bytes):
                values[low] = tuple(_text(v) for v in value)
                multi.add(low)
            else:
                raise TypeError(
                    f"context value of {key!r}: {value!r} is not a string, bool, number "
                    "or list of strings"
                )
        return cls(values, frozenset(multi), names)

    def get(self, key: str) -> tuple[str, ...] | None:
        """The values of ``key`` (any case), ``None`` when the request lacks it."""
        return self.values.get(key.lower())

    def variable(self, key: str) -> str | None:
        """The value a policy variable ``${key}`` takes: the key's single value."""
        found = self.values.get(key)
        if found is None or len(found) != 1 or key in self.multivalued:
            return None
        return found[0]


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value)
    raise TypeError(f"context value {value!r} is not a string, bool or number")


# -- value comparisons -----------------------------------------------------------------------------

Compare: TypeAlias = Callable[[str, str, Variables | None], bool]


def _string_equals(policy: str, request: str, variables: Variables | None) -> bool:
    return glob_matches(policy, request, variables=variables, wildcards=False)


def _string_equals_ic(policy: str, request: str, variables: Variables | None) -> bool:
    return glob_matches(policy, request, variables=variables, wildcards=False, ignore_case=True)


def _string_like(policy: str, request: str, variables: Variables | None) -> bool:
    return glob_matches(policy, request, variables=variables)


def _resolve(policy: str, variables: Variables | None) -> str | None:
    # Numbers, dates, addresses: variables replaced, no wildcards.
    return resolve(policy, variables)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _date(text: str) -> dt.datetime | None:
    text = text.strip()
    number = _number(text)
    if number is not None and text.lstrip("-").replace(".", "", 1).isdigit():
        return dt.datetime.fromtimestamp(number, tz=dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _ordered(
    parse: Callable[[str], Any], test: Callable[[Any, Any], bool]
) -> Compare:
    """A comparison of numbers or dates: both sides parsed, false if either fails."""

    def compare(policy: str, request: str, variables: Variables | None) -> bool:
        resolved = _resolve(policy, variables)
        p = parse(resolved) if resolved is not None else None
        r = parse(request)
        return p is not None and r is not None and bool(test(r, p))

    return compare


def _numeric(test: Callable[[float, float], bool]) -> Compare:
    return _ordered(_number, test)


def _dated(test: Callable[[dt.datetime, dt.datetime], bool]) -> Compare:
    return _ordered(_date, test)


def _bool(policy: str, request: str, variables: Variables | None) -> bool:
    resolved = _resolve(policy, variables)
    return resolved is not None and resolved.lower() == request.lower()


def _binary(policy: str, request: str, variables: Variables | None) -> bool:
    try:
        return base64.b64decode(policy, validate=True) == base64.b64decode(request, validate=True)
    except (binascii.Error, ValueError):
        return policy == request


def _ip(policy: str, request: str, variables: Variables | None) -> bool:
    resolved = _resolve(policy, variables)
    if resolved is None:
        return False
    try:
        network = ipaddress.ip_network(resolved.strip(), strict=False)
        address = ipaddress.ip_address(request.strip().split("/")[0])
    except ValueError:
        return False
    return address.version == network.version and address in network


def _arn(policy: str, request: str, variables: Variables | None) -> bool:
    return arn_matches(policy, request, variables=variables)


# Each base operator: (comparison, negated, family). A negated operator is
# true when its positive form is false for every policy value.
_BASE: dict[str, tuple[Compare, bool, str]] = {
    "StringEquals": (_string_equals, False, "String"),
    "StringNotEquals": (_string_equals, True, "String"),
    "StringEqualsIgnoreCase": (_string_equals_ic, False, "String"),
    "StringNotEqualsIgnoreCase": (_string_equals_ic, True, "String"),
    "StringLike": (_string_like, False, "String"),
    "StringNotLike": (_string_like, True, "String"),
    "NumericEquals": (_numeric(lambda r, p: r == p), False, "Numeric"),
    "NumericNotEquals": (_numeric(lambda r, p: r == p), True, "Numeric"),
    "NumericLessThan": (_numeric(lambda r, p: r < p), False, "Numeric"),
    "NumericLessThanEquals": (_numeric(lambda r, p: r <= p), False, "Numeric"),
    "NumericGreaterThan": (_numeric(lambda r, p: r > p), False, "Numeric"),
    "NumericGreaterThanEquals": (_numeric(lambda r, p: r >= p), False, "Numeric"),
    "DateEquals": (_dated(lambda r, p: r == p), False, "Date"),
    "DateNotEquals": (_dated(lambda r, p: r == p), True, "Date"),
    "DateLessThan": (_dated(lambda r, p: r < p), False, "Date"),
    "DateLessThanEquals": (_dated(lambda r, p: r <= p), False, "Date"),
    "DateGreaterThan": (_dated(lambda r, p: r > p), False, "Date"),
    "DateGreaterThanEquals": (_dated(lambda r, p: r >= p), False, "Date"),
    "Bool": (_bool, False, "Bool"),
    "BinaryEquals": (_binary, False, "Binary"),
    "IpAddress": (_ip, False, "IpAddress"),
    "NotIpAddress": (_ip, True, "IpAddress"),
    "ArnEquals": (_arn, False, "Arn"),
    "ArnLike": (_arn, False, "Arn"),
    "ArnNotEquals": (_arn, True, "Arn"),
    "ArnNotLike": (_arn, True, "Arn"),
    "Null": (_bool, False, "Null"),
}
_BY_LOWER = {name.lower(): name for name in _BASE}

OPERATORS: frozenset[str] = frozenset(_BASE)
"""The base condition operators (without ``IfExists`` or a set qualifier)."""


@attrs.frozen
class Operator:
    """A parsed condition operator, e.g. ``ForAllValues:StringLikeIfExists``."""

    base: str
    qualifier: str | None  # "ForAllValues" | "ForAnyValue" | None
    if_exists: bool

    @property
    def negated(self) -> bool:
        """Whether the operator is a negation (true when nothing matches)."""
        return _BASE[self.base][1]

    @property
    def family(self) -> str:
        """``String``, ``Numeric``, ``Date``, ``Bool``, ``Binary``, ``IpAddress``,
        ``Arn`` or ``Null``."""
        return _BASE[self.base][2]


_QUALIFIERS = {"forallvalues": "ForAllValues", "foranyvalue": "ForAnyValue"}


def parse_operator(text: str) -> Operator | None:
    """The operator ``text`` names, or ``None`` when IAM has no such operator.

    >>> parse_operator("ForAnyValue:StringLikeIfExists")
    Operator(base='StringLike', qualifier='ForAnyValue', if_exists=True)
    >>> parse_operator("StringEqualz") is None
    True
    """
    qualifier = None
    rest = text
    head, sep, tail = text.partition(":")
    if sep:
        qualifier = _QUALIFIERS.get(head.lower())
        if qualifier is None:
            return None
        rest = tail
    if_exists = rest.lower().endswith("ifexists") and rest.lower() != "ifexists"
    if if_exists:
        rest = rest[: -len("IfExists")]
    base = _BY_LOWER.get(rest.lower())
    if base is None or (base == "Null" and (if_exists or qualifier)):
        return None
    return Operator(base, qualifier, if_exists)


# -- evaluating one condition ---------------------------------------------------------------------


@attrs.frozen
class ConditionResult:
    """How one condition of a statement fared against the request.

    ``reason`` says why in a sentence; ``missing`` is true when the request
    lacks the key; ``unmatched`` lists the request values that matched none of
    the policy's values (for a negated operator: the values that did match).
    """

    condition: Condition
    passed: bool
    reason: str
    missing: bool = False
    unmatched: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view."""
        return {
            "operator": self.condition.operator,
            "key": self.condition.key,
            "values": list(self.condition.values),
            "passed": self.passed,
            "reason": self.reason,
            "missing": self.missing,
            "unmatched": list(self.unmatched),
        }


def _fmt(values: Sequence[str]) -> str:
    return ", ".join(repr(v) for v in values) if values else "(none)"


def _null(condition: Condition, request: tuple[str, ...] | None) -> ConditionResult:
    absent = request is None or len(request) == 0
    want = {v.lower() for v in condition.values}
    passed = ("true" in want and absent) or ("false" in want and not absent)
    state = "absent from" if absent else "present in"
    needs = "to be absent" if "true" in want else "to be present"
    verdict = "as" if passed else "but"
    return ConditionResult(
        condition, passed,
        f"{condition.key} is {state} the request, {verdict} Null {_fmt(condition.values)} "
        f"needs it {needs}",
        missing=absent,
    )


def _missing(condition: Condition, op: Operator) -> ConditionResult:
    key, name = condition.key, f"{condition.operator} {condition.key}"
    if op.qualifier == "ForAllValues":
        reason = f"{key} is not in the request: ForAllValues is true for a missing key"
    elif op.if_exists:
        reason = f"{key} is not in the request, and {name} holds when it is absent (IfExists)"
    elif op.negated and op.qualifier is None:
        reason = f"{key} is not in the request, so the negated operator {condition.operator} holds"
    elif op.qualifier == "ForAnyValue":
        return ConditionResult(
            condition, False,
            f"{key} is missing from the request; ForAnyValue needs at least one value",
            missing=True,
        )
    else:
        return ConditionResult(
            condition, False,
            f"{key} is missing from the request; {name} needs it to match "
            f"{_fmt(condition.values)}",
            missing=True,
        )
    return ConditionResult(condition, True, reason, missing=True)


def _for_all(
    condition: Condition, request: tuple[str, ...], matches: Callable[[str], bool]
) -> ConditionResult:
    key, name = condition.key, f"{condition.operator} {condition.key}"
    bad = tuple(v for v in request if not matches(v))
    if not request:
        reason = f"{key} is an empty set: ForAllValues is true for it"
    elif not bad:
        reason = f"every value of {key} satisfies {name} {_fmt(condition.values)}"
    else:
        reason = (
            f"{key} values {_fmt(bad)} do not satisfy {name} {_fmt(condition.values)} "
            "(ForAllValues needs every value to)"
        )
    return ConditionResult(condition, not bad, reason, unmatched=bad)


def _for_any(
    condition: Condition, op: Operator, request: tuple[str, ...], matches: Callable[[str], bool]
) -> ConditionResult:
    key, name = condition.key, f"{condition.operator} {condition.key}"
    if op.qualifier is None and op.negated:
        # A multivalued key with a plain negated operator: no value may match.
        hits = tuple(v for v in request if not matches(v))
        reason = (
            f"{key} values {_fmt(hits)} are among {_fmt(condition.values)}, which "
            f"{condition.operator} refuses" if hits else
            f"no value of {key} ({_fmt(request)}) is among {_fmt(condition.values)}"
        )
        return ConditionResult(condition, not hits, reason, unmatched=hits)
    good = tuple(v for v in request if matches(v))
    if not request:
        reason = f"{key} is an empty set: ForAnyValue is false for it"
    elif good:
        reason = f"{key} value {_fmt(good[:1])} satisfies {name}"
    else:
        reason = f"no value of {key} ({_fmt(request)}) satisfies {name} {_fmt(condition.values)}"
    return ConditionResult(condition, bool(good), reason, unmatched=() if good else request)


def evaluate_condition(
    condition: Condition, context: RequestContext, variables: Variables | None
) -> ConditionResult:
    """Evaluate one condition; ``variables`` is ``None`` for the 2008-10-17
    policy language, in which ``${...}`` is plain text."""
    op = parse_operator(condition.operator)
    name = f"{condition.operator} {condition.key}"
    if op is None:
        return ConditionResult(
            condition, False,
            f"{condition.operator!r} is not an IAM condition operator, so the condition "
            "never matches",
        )
    policy_values = condition.values
    if variables is not None:
        # A variable AWS cannot resolve makes the statement invalid: it applies to
        # nothing, whatever the operator (negated ones included).
        dangling = [v for v in policy_values if "${" in v and resolve(v, variables) is None]
        if dangling:
            return ConditionResult(
                condition, False,
                f"the policy variable in {_fmt(dangling)} has no value in the request and no "
                f"default, so {name} cannot be evaluated and the statement does not apply",
            )
    request = context.get(condition.key)
    if op.base == "Null":
        return _null(condition, request)
    if request is None:
        return _missing(condition, op)
    compare = _BASE[op.base][0]

    def matches(value: str) -> bool:
        # The value satisfies the operator (negation applied).
        hit = any(compare(p, value, variables) for p in policy_values)
        return not hit if op.negated else hit

    if op.qualifier == "ForAllValues":
        return _for_all(condition, request, matches)
    if op.qualifier == "ForAnyValue" or len(request) != 1 or (
        condition.key.lower() in context.multivalued
    ):
        return _for_any(condition, op, request, matches)
    value = request[0]
    passed = matches(value)
    if passed:
        reason = f"{condition.key} = {value!r} satisfies {name} {_fmt(policy_values)}"
    elif op.negated:
        reason = f"{condition.key} = {value!r} is among {_fmt(policy_values)}, which {name} refuses"
    else:
        reason = f"{condition.key} = {value!r} does not satisfy {name} {_fmt(policy_values)}"
    return ConditionResult(condition, passed, reason, unmatched=() if passed else (value,))
