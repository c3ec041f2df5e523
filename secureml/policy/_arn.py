"""Matching actions and ARNs as IAM does, with ``*``/``?`` wildcards and policy variables.

- Actions match case-insensitively; ``*`` is any run of characters, ``?``
  exactly one.
- ARNs match case-sensitively, each of the six colon-separated parts
  (``arn:partition:service:region:account:resource``) on its own: a wildcard
  stands for no colon of the first five parts, except that a ``*`` ending a
  part may run on past colons, as the IAM reference says; the resource part
  may itself contain colons. A pattern that is exactly ``*`` matches anything.
- Policy variables (``${aws:username}``, ``${aws:PrincipalTag/team}``,
  ``${aws:username, 'nobody'}`` with a default, and the escapes ``${*}``,
  ``${?}``, ``${$}`` for a literal ``*``, ``?`` and ``$``) are replaced by the
  request's values before matching; what they put in is always literal text,
  never a wildcard. A variable with no value (and no default) matches nothing.

>>> arn_matches("arn:aws:s3:::team-a-*/*", "arn:aws:s3:::team-a-data/x.csv")
True
>>> arn_matches("arn:aws:s3:::Team-A-*", "arn:aws:s3:::team-a-data")
False
>>> action_matches("S3:Get*", "s3:GetObject")
True
>>> arn_matches("arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/ana/f",
...             variables=lambda key: "ana" if key == "aws:username" else None)
True
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

__all__ = [
    "UNRESOLVED",
    "Variables",
    "action_matches",
    "any_action_matches",
    "any_arn_matches",
    "arn_matches",
    "glob_matches",
    "resolve",
    "split_arn",
    "substitute",
]

Variables = Callable[[str], str | None]
"""Looks up a policy variable's key (lower case, e.g. ``aws:username``): its
single value, or ``None`` when the request has none."""

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,\s]+)\s*(?:,\s*'([^']*)'\s*)?$")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


class _Unresolved:
    """Marks a pattern whose policy variable has no value: it matches nothing."""

    def __repr__(self) -> str:
        return "UNRESOLVED"


UNRESOLVED = _Unresolved()


def _glob_regex(text: str, star: str = ".*", one: str = ".") -> str:
    return "".join(star if ch == "*" else one if ch == "?" else re.escape(ch) for ch in text)


_IN_PART = ("[^:]*", "[^:]")  # a wildcard within one of the first five ARN parts


def _pieces(pattern: str, variables: Variables) -> list[tuple[bool, str]] | None:
    """``pattern`` cut into (is_literal_value, text) pieces with its variables
    replaced; ``None`` when a variable has no value and no default."""
    out: list[tuple[bool, str]] = []
    pos = 0
    for m in _VARIABLE.finditer(pattern):
        out.append((False, pattern[pos : m.start()]))
        pos = m.end()
        inner = m.group(1).strip()
        if inner in _ESCAPES:
            out.append((True, _ESCAPES[inner]))
            continue
        parsed = _DEFAULT.match(inner)
        if parsed is None:
            # Not a variable IAM knows: it stays as written.
            out.append((False, m.group(0)))
            continue
        value = variables(parsed.group(1).lower())
        if value is None:
            value = parsed.group(2)
        if value is None:
            return None
        out.append((True, value))
    out.append((False, pattern[pos:]))
    return out


def resolve(pattern: str, variables: Variables | None) -> str | None:
    """``pattern`` with its policy variables replaced by their values, as plain
    text; ``None`` when one has no value.

    >>> resolve("10.${aws:PrincipalTag/net}.0.0/16", lambda k: "1")
    '10.1.0.0/16'
    """
    if variables is None or "${" not in pattern:
        return pattern
    pieces = _pieces(pattern, variables)
    return None if pieces is None else "".join(text for _, text in pieces)


def substitute(
    pattern: str,
    variables: Variables | None,
    *,
    wildcards: bool = True,
    in_part: bool = False,
) -> str | _Unresolved:
    """``pattern`` as a regular expression source (``wildcards``: ``*`` and ``?``
    are globs), with its policy variables replaced by literal values;
    :data:`UNRESOLVED` when a variable has no value. ``variables=None`` leaves
    ``${...}`` as plain text (policy language ``2008-10-17``).

    >>> substitute("a${*}b*", lambda k: None)
    'a\\\\*b.*'
    >>> substitute("${aws:username, 'x'}", lambda k: None)
    'x'
    >>> substitute("${aws:username}", lambda k: None)
    UNRESOLVED
    """
    if variables is None or "${" not in pattern:
        return _plain(pattern, wildcards, in_part)
    star, one = _IN_PART if in_part else (".*", ".")

    def convert(text: str) -> str:
        return _glob_regex(text, star, one) if wildcards else re.escape(text)

    pieces = _pieces(pattern, variables)
    if pieces is None:
        return UNRESOLVED
    return "".join(re.escape(text) if literal else convert(text) for literal, text in pieces)


@functools.lru_cache(maxsize=8192)
def _plain(pattern: str, wildcards: bool, in_part: bool) -> str:
    # The regex source of a pattern without variables, computed once.
    if not wildcards:
        return re.escape(pattern)
    return _glob_regex(pattern, *(_IN_PART if in_part else (".*", ".")))


@functools.lru_cache(maxsize=8192)
def _compiled(source: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(source, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_matches(
    pattern: str,
    value: str,
    *,
    ignore_case: bool = False,
    variables: Variables | None = None,
    wildcards: bool = True,
) -> bool:
    """Whether ``value`` matches ``pattern`` as a whole (``*``/``?`` globs when
    ``wildcards``; policy variables substituted when ``variables`` is given)."""
    source = substitute(pattern, variables, wildcards=wildcards)
    if isinstance(source, _Unresolved):
        return False
    return _compiled(source, ignore_case).fullmatch(value) is not None


@functools.lru_cache(maxsize=4096)
def _actions_regex(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(
        "|".join(f"(?:{_glob_regex(p)})" for p in patterns), re.IGNORECASE | re.DOTALL
    )


def any_action_matches(patterns: tuple[str, ...], action: str) -> bool:
    """Whether any of an element's action patterns names ``action`` (one compiled
    regular expression per element, cached).

    >>> any_action_matches(("s3:Get*", "s3:List*"), "S3:ListBucket")
    True
    """
    return _actions_regex(patterns).fullmatch(action) is not None


@functools.lru_cache(maxsize=4096)
def _arns_regex(patterns: tuple[str, ...]) -> re.Pattern[str]:
    sources = [".*" if p == "*" else _arn_source(p, None) for p in patterns]
    return re.compile("|".join(f"(?:{s})" for s in sources), re.DOTALL)


def any_arn_matches(
    patterns: tuple[str, ...], arn: str, *, variables: Variables | None = None
) -> bool:
    """Whether any of an element's ARN patterns matches ``arn`` (patterns without
    policy variables compiled once per element).

    >>> any_arn_matches(("arn:aws:s3:::a/*", "arn:aws:s3:::b/*"), "arn:aws:s3:::b/x")
    True
    """
    if variables is None or not any("${" in p for p in patterns):
        return _arns_regex(patterns).fullmatch(arn) is not None
    return any(arn_matches(p, arn, variables=variables) for p in patterns)


def action_matches(pattern: str, action: str) -> bool:
    """Whether an ``Action``/``NotAction`` entry names ``action`` (case-insensitive).

    >>> action_matches("sagemaker:Describe?odel", "sagemaker:DescribeModel")
    True
    >>> action_matches("sagemaker:*", "s3:GetObject")
    False
    """
    if pattern == "*":
        return True
    return glob_matches(pattern, action, ignore_case=True)


def split_arn(text: str) -> list[str]:
    """An ARN or ARN pattern cut into its six parts (the last keeps its colons);
    fewer parts when it has fewer colons. Colons inside ``${...}`` do not cut.

    >>> split_arn("arn:aws:logs:us-east-1:111122223333:log-group:/aws/x:*")
    ['arn', 'aws', 'logs', 'us-east-1', '111122223333', 'log-group:/aws/x:*']
    >>> split_arn("arn:aws:s3:::b/${aws:username}")
    ['arn', 'aws', 's3', '', '', 'b/${aws:username}']
    """
    parts: list[str] = []
    start = 0
    depth = 0
    i = 0
    while i < len(text) and len(parts) < 5:
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        ch = text[i]
        if ch == "}" and depth:
            depth -= 1
        elif ch == ":" and not depth:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


def _arn_source(pattern: str, variables: Variables | None) -> str | _Unresolved:
    # Each of the first five parts: a wildcard stays within the part, except a
    # "*" that ends the part, which may run on past its colons (the IAM
    # reference, "Using wildcards in resource ARNs"); the resource part runs to
    # the end of the ARN.
    fields = split_arn(pattern)
    sources: list[str] = []
    for i, field in enumerate(fields):
        last = i == len(fields) - 1 or i == 5
        trailing = field.endswith("*") and not field.endswith("${*}") and not last
        body = field[:-1] if trailing else field
        source = substitute(body, variables, in_part=not last)
        if isinstance(source, _Unresolved):
            return source
        sources.append(source + (".*" if trailing else ""))
    return ":".join(sources)


@functools.lru_cache(maxsize=4096)
def _arn_regex(pattern: str) -> re.Pattern[str]:
    source = _arn_source(pattern, None)
    assert isinstance(source, str)
    return re.compile(source, re.DOTALL)


def arn_matches(pattern: str, arn: str, *, variables: Variables | None = None) -> bool:
    """Whether a ``Resource``/``NotResource`` entry (or an ``Arn*`` condition
    value) matches ``arn``, case-sensitively and part by part.

    >>> arn_matches("arn:aws:sagemaker:*:*:training-job/*",
    ...             "arn:aws:sagemaker:us-east-1:111122223333:training-job/t1")
    True
    >>> arn_matches("arn:aws:sagemaker:us-*-1:*:model/*", "arn:aws:sagemaker:us-east-1:1:model/m")
    True
    >>> arn_matches("arn:aws:sagemaker:u?-east-1:*:model/*",
    ...             "arn:aws:sagemaker:us-east-1:1:model/m")
    True
    >>> arn_matches("arn:aws:sagemaker:*us:*:model/*", "arn:aws:sagemaker:x:us:1:model/m")
    False
    >>> arn_matches("*", "anything")
    True
    """
    if pattern == "*":
        return True
    if variables is None or "${" not in pattern:
        return _arn_regex(pattern).fullmatch(arn) is not None
    source = _arn_source(pattern, variables)
    if isinstance(source, _Unresolved):
        return False
    return _compiled(source, False).fullmatch(arn) is not None
