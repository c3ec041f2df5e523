"""Resources' desired states with pseudo-parameters in place of the account, region
and partition: the one source of every value the templates hold.

Each resource's :meth:`~secureml.resources.Resource.desired` is called with a
context whose account id, region and partition are placeholder tokens of the
real values' lengths (so packing and sizes come out as ``apply()`` computes
them), and which refuses every AWS call. Strings holding a token become
``Fn::Sub`` with ``${AWS::AccountId}``, ``${AWS::Region}`` and
``${AWS::Partition}``; policy variables already in them (``${aws:username}``)
are escaped as ``${!...}`` so CloudFormation leaves them to IAM.

The states are rendered twice, with two sets of tokens: a value the caller gave
that happens to contain a token would differ between the two, and the export
stops rather than turn a user's literal into a pseudo-parameter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from secureml._validation import Placeholder
from secureml.aws import AwsContext
from secureml.errors import ValidationError
from secureml.resources import Resource, State

if TYPE_CHECKING:
    import boto3

__all__ = ["PSEUDO", "Tokens", "render_states", "resolve_tokens", "sub"]

PSEUDO = {
    "account": "${AWS::AccountId}",
    "region": "${AWS::Region}",
    "partition": "${AWS::Partition}",
}
"""What each placeholder becomes in a template."""

_LONGEST_REGION = 14
"""``ap-southeast-2``, ``ap-northeast-1``: the longest commercial region names, used to
size policies when the regions are not known (more characters: never too small)."""


@attrs.frozen
class Tokens:
    """Placeholders standing for the account id, region and partition while rendering."""

    account: str
    region: str
    partition: str

    @classmethod
    def make(cls, seed: int, region_length: int, partition: str) -> Tokens:
        """Tokens of the real values' lengths (the account id is always 12 digits)."""
        letters = "qjz"[seed]
        return cls(
            account=Placeholder(("740211693058", "519384026617", "863027415922")[seed]),
            region=Placeholder((letters * region_length)[:region_length]),
            partition=Placeholder(("x" + letters * len(partition))[: len(partition)]),
        )

    def pairs(self) -> list[tuple[str, str]]:
        """(token, pseudo-parameter), longest token first."""
        return sorted(
            [
                (self.account, PSEUDO["account"]),
                (self.region, PSEUDO["region"]),
                (self.partition, PSEUDO["partition"]),
            ],
            key=lambda p: -len(p[0]),
        )


class _RenderContext(AwsContext):
    """An :class:`~secureml.aws.AwsContext` whose account, region and partition are
    tokens, and which makes no AWS call (the export works without credentials)."""

    _tokens: Tokens

    @property
    def account_id(self) -> str:
        return self._tokens.account

    @property
    def partition(self) -> str:
        return self._tokens.partition

    def client(self, service: str) -> Any:
        raise ValidationError(
            f"exporting to CloudFormation made a {service} call: a resource's desired state "
            "needs AWS, so it cannot be exported"
        )


def _context(session: boto3.Session, blueprint: str, tokens: Tokens) -> _RenderContext:
    ctx = _RenderContext(session, blueprint, region=tokens.region)
    ctx._tokens = tokens
    return ctx


def region_length(regions: Iterable[str] | None) -> int:
    """The length to size policies for: the longest target region's name."""
    names = list(regions or ())
    return max((len(r) for r in names), default=_LONGEST_REGION)


def render_states(
    blueprint: str,
    resources: Iterable[Resource],
    *,
    regions: Iterable[str] | None,
    partition: str,
) -> tuple[dict[str, State], Tokens]:
    """Every resource's desired state (by key) with tokens, and the tokens used.

    Raises :class:`~secureml.errors.ValidationError` when a value given in the
    blueprint contains a token (it would be mistaken for the account or region).
    """
    import boto3  # noqa: PLC0415 - the export needs no credentials, only botocore's data

    session = boto3.Session(region_name="us-east-1")
    resources = list(resources)
    length = region_length(regions)
    rendered: list[dict[str, State]] = []
    all_tokens = [Tokens.make(i, length, partition) for i in range(2)]
    for tokens in all_tokens:
        ctx = _context(session, blueprint, tokens)
        rendered.append({r.key: r.desired(ctx) for r in resources})
    first, second = (
        _neutral(json.dumps(states, sort_keys=True, default=str), tokens)
        for states, tokens in zip(rendered, all_tokens, strict=True)
    )
    if first != second:
        raise ValidationError(
            "a value in the blueprint contains one of the placeholders the export uses for "
            f"the account id, region or partition ({all_tokens[0]} or {all_tokens[1]}); "
            "change that value"
        )
    return rendered[0], all_tokens[0]


def _neutral(text: str, tokens: Tokens) -> str:
    for token, pseudo in tokens.pairs():
        text = text.replace(token, pseudo)
    return text


def sub(value: Any, tokens: Tokens) -> Any:
    """``value`` with every string holding a token turned into ``Fn::Sub`` (recursively)."""
    if isinstance(value, str):
        if not any(t in value for t, _ in tokens.pairs()):
            return value
        text = value.replace("${", "${!")
        for token, pseudo in tokens.pairs():
            text = text.replace(token, pseudo)
        return {"Fn::Sub": text}
    if isinstance(value, Mapping):
        return {k: sub(v, tokens) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [sub(v, tokens) for v in value]
    return value


def resolve_tokens(value: Any, *, account: str, region: str, partition: str) -> Any:
    """A template value with ``Fn::Sub`` of the pseudo-parameters resolved for one
    account and region (what CloudFormation deploys there): for tests and diffs."""
    if isinstance(value, Mapping):
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            text = (
                value["Fn::Sub"]
                .replace(PSEUDO["account"], account)
                .replace(PSEUDO["region"], region)
                .replace(PSEUDO["partition"], partition)
            )
            return text.replace("${!", "${")
        return {
            k: resolve_tokens(v, account=account, region=region, partition=partition)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [resolve_tokens(v, account=account, region=region, partition=partition)
                for v in value]
    return value
