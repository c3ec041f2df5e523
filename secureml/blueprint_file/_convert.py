"""Structuring a parsed document into the spec classes, with every problem found.

cattrs does the walking (attrs classes, optionals, unknown keys); the hooks
here make the leaves strict, because YAML is loose where a policy must not be:
``buckets: team-a-data`` (a string, not a list) would otherwise become the
characters of the name, and ``adopt: "no"`` would become ``True``. Problems come
back as :class:`Problem` values; the caller adds file and line.
"""

from __future__ import annotations

import difflib
import functools
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, NamedTuple, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.gen import make_dict_structure_fn

from secureml import activities as _act
from secureml.activities import Activity
from secureml.blueprint_file._spec import AccountId, ActivitySpec
from secureml.blueprint_file._yaml import Path

__all__ = ["Problem", "activity_inputs", "structure"]

class Problem(NamedTuple):
    """One problem of a file, as data: ``path`` in the document, ``message``, and
    ``at_key`` to point the line at the key, not its value. The rest says what a
    reader of the file needs to carry on, so nobody parses the message: ``guess``
    is the closest allowed choice to a misspelt one, ``missing`` marks a required
    key that is not given, ``unknown_key`` a key the schema does not have."""

    path: Path
    message: str
    at_key: bool = False
    guess: str | None = None
    missing: bool = False
    unknown_key: bool = False

    def under(self, *path: str | int) -> Problem:
        """This problem with ``path`` before its own."""
        return self._replace(path=(*path, *self.path))


class _ProblemsError(ValueError):
    """Problems found by a hook, with paths relative to the value it structured."""

    def __init__(self, problems: Sequence[Problem | tuple[Path, str, bool]]) -> None:
        self.problems = [p if isinstance(p, Problem) else Problem(*p) for p in problems]
        super().__init__("; ".join(p.message for p in self.problems))


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return f"{value!r} (a number)"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _hint(value: Any) -> str:
    if isinstance(value, bool):
        return " (YAML reads yes/no/on/off/true/false as booleans: quote the text)"
    if isinstance(value, (int, float)):
        return " (quote it to make it text)"
    return ""


def _str(value: Any, _: Any = None) -> str:
    if not isinstance(value, str):
        raise _ProblemsError([((), f"expected text, got {_describe(value)}{_hint(value)}", False)])
    return value


def _bool(value: Any, _: Any = None) -> bool:
    if not isinstance(value, bool):
        raise _ProblemsError(
            [((), f"expected true or false, got {_describe(value)}", False)]
        )
    return value


def _int(value: Any, _: Any = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _ProblemsError([((), f"expected a whole number, got {_describe(value)}", False)])
    return value


def _account(value: Any, _: Any = None) -> AccountId:
    # A 12-digit number cannot have lost a leading zero, so it is safe to accept.
    if isinstance(value, int) and not isinstance(value, bool) and len(str(value)) == 12:
        return AccountId(str(value))
    if isinstance(value, str) and len(value) == 12 and value.isdigit():
        return AccountId(value)
    extra = (
        " (a number with a leading zero loses it in YAML: quote account ids)"
        if isinstance(value, int) and not isinstance(value, bool)
        else ""
    )
    raise _ProblemsError(
        [((), f"{_describe(value)} is not an AWS account id: 12 digits, as text{extra}", False)]
    )


def _list_of(item: Callable[[Any], Any], value: Any) -> tuple[Any, ...]:
    if not isinstance(value, list):
        example = f": [{value}]" if isinstance(value, str) else ""
        raise _ProblemsError([((), f"expected a list, got {_describe(value)}{example}", False)])
    out: list[Any] = []
    problems: list[Problem] = []
    for index, element in enumerate(value):
        try:
            out.append(item(element))
        except Exception as exc:
            problems += [p.under(index) for p in _walk(exc, ())]
    if problems:
        raise _ProblemsError(problems)
    return tuple(out)


def _str_map(value: Any, _: Any = None) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise _ProblemsError(
            [((), f"expected a mapping of text to text, got {_describe(value)}", False)]
        )
    problems: list[Problem] = []
    for key, item in value.items():
        if not isinstance(key, str):
            problems.append(Problem((str(key),), f"key {_describe(key)} must be text", True))
        if not isinstance(item, str):
            problems.append(
                Problem((str(key),), f"expected text, got {_describe(item)}{_hint(item)}")
            )
    if problems:
        raise _ProblemsError(problems)
    return dict(value)


def _literal(choices: tuple[Any, ...], value: Any, _: Any = None) -> Any:
    if value in choices and type(value) in {type(c) for c in choices}:
        return value
    shown = ", ".join(str(c) for c in choices)
    guess = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
    tip = f" (did you mean {guess[0]}?)" if guess else ""
    raise _ProblemsError([Problem(
        (), f"{_describe(value)} is not one of: {shown}{tip}", guess=guess[0] if guess else None
    )])


def activity_inputs(cls: type[Activity]) -> dict[str, Any]:
    """The inputs an activity class takes, by name, with their types."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in attrs.fields(cls) if f.init}


def _unknown_key(key: str, allowed: list[str], what: str) -> Problem:
    guess = difflib.get_close_matches(key, allowed, n=1)
    tip = f"; did you mean {guess[0]!r}?" if guess else ""
    listed = ", ".join(allowed) if allowed else "none"
    return Problem(
        (key,), f"unknown key {key!r} in {what}{tip} (allowed: {listed})", True, unknown_key=True
    )


def _activity_spec(converter: cattrs.Converter, value: Any, _: Any = None) -> ActivitySpec:
    if isinstance(value, str):
        name, given = value, {}
    elif isinstance(value, Mapping):
        if "activity" not in value:
            raise _ProblemsError(
                [((), "an activity needs the key 'activity' (its name), e.g. "
                  "{activity: Query Athena Workgroups, workgroups: [primary]}", False)]
            )
        name = value["activity"]
        given = {k: v for k, v in value.items() if k != "activity"}
        if not isinstance(name, str):
            raise _ProblemsError(
                [(("activity",), f"expected an activity name, got {_describe(name)}", False)]
            )
    else:
        raise _ProblemsError(
            [((), f"expected an activity name or {{activity: NAME, ...inputs}}, got "
              f"{_describe(value)}", False)]
        )
    try:
        cls = _act.by_name(name)
    except ValueError:
        names = [c.name for c in _act.ALL]
        guess = difflib.get_close_matches(name, names, n=1)
        tip = f" (did you mean {guess[0]!r}?)" if guess else ""
        where: Path = ("activity",) if isinstance(value, Mapping) else ()
        raise _ProblemsError(
            [(where, f"unknown activity {name!r}{tip}; known: {', '.join(names)}", False)]
        ) from None
    inputs = activity_inputs(cls)
    problems: list[Problem] = []
    structured: dict[str, Any] = {}
    for key, raw in given.items():
        if key not in inputs:
            problems.append(_unknown_key(str(key), sorted(inputs), f"activity {cls.name!r}"))
            continue
        try:
            structured[key] = converter.structure(raw, inputs[key])
        except _ProblemsError as exc:
            problems += [p.under(key) for p in exc.problems]
    if problems:
        raise _ProblemsError(problems)
    return ActivitySpec(activity=cls.name, inputs=structured)


def _is_attrs(cls: Any) -> bool:
    return isinstance(cls, type) and attrs.has(cls) and cls is not ActivitySpec


def _attrs_hook(converter: cattrs.Converter, cls: type) -> Callable[[Any, Any], Any]:
    inner: Callable[[Mapping[str, Any], Any], Any] = make_dict_structure_fn(
        cls, converter, _cattrs_forbid_extra_keys=True, _cattrs_detailed_validation=True
    )

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, Mapping):
            keys = ", ".join(f.name for f in attrs.fields(cls))
            raise _ProblemsError(
                [((), f"expected a mapping (keys: {keys}), got {_describe(value)}", False)]
            )
        return inner(value, cls)

    return structure


def _origin(tp: Any) -> Any:
    return get_origin(tp)


@functools.cache
def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(str, _str)
    converter.register_structure_hook(bool, _bool)
    converter.register_structure_hook(int, _int)
    converter.register_structure_hook(AccountId, _account)
    converter.register_structure_hook_func(lambda t: _origin(t) is dict, _str_map)
    converter.register_structure_hook_func(
        lambda t: _origin(t) is tuple and len(get_args(t)) == 2 and get_args(t)[1] is ...,
        lambda v, t: _list_of(functools.partial(converter.structure, cl=get_args(t)[0]), v),
    )
    converter.register_structure_hook_factory(
        lambda t: _origin(t) is Literal,
        lambda t: functools.partial(_literal, get_args(t)),
    )
    converter.register_structure_hook(ActivitySpec, functools.partial(_activity_spec, converter))
    converter.register_structure_hook_factory(
        _is_attrs, functools.partial(_attrs_hook, converter)
    )
    return converter


def _walk(exc: BaseException, path: Path) -> Iterator[Problem]:
    if isinstance(exc, ClassValidationError):
        fields, rest = exc.group_exceptions()
        for sub, field in fields:
            if isinstance(sub, KeyError):
                yield Problem(
                    (*path, field.name), f"required key {field.name!r} is missing", True,
                    missing=True,
                )
            else:
                yield from _walk(sub, (*path, field.name))
        for sub in rest:
            yield from _walk(sub, path)
    elif isinstance(exc, IterableValidationError):
        items, others = exc.group_exceptions()
        for sub, item in items:
            index = item.index
            yield from _walk(sub, (*path, index if isinstance(index, (int, str)) else str(index)))
        for sub in others:
            yield from _walk(sub, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        allowed = sorted(f.name for f in attrs.fields(exc.cl))
        what = _WHAT.get(exc.cl.__name__, exc.cl.__name__)
        for key in sorted(exc.extra_fields):
            yield _unknown_key(key, allowed, what).under(*path)
    elif isinstance(exc, _ProblemsError):
        for problem in exc.problems:
            yield problem.under(*path)
    else:
        yield Problem(path, str(exc) or type(exc).__name__)


_WHAT = {
    "BlueprintSpec": "the blueprint",
    "SettingsSpec": "settings",
    "NetworkSpec": "network",
    "EncryptionSpec": "encryption",
    "GuardrailsSpec": "guardrails",
    "ScopeSpec": "scope",
    "PersonaSpec": "a persona",
    "RoleSpec": "role",
    "PermissionSetSpec": "permission_set",
    "AssignmentSpec": "an assignment",
    "AccessControlAttributesSpec": "access_control_attributes",
    "PublicAccessBlockSpec": "public_access_block",
    "BucketPublicAccessSpec": "a bucket's settings",
    "AuditTrailSpec": "audit_trail",
    "LifecycleSpec": "lifecycle",
    "ObjectLockSpec": "object_lock",
    "IdentityCenterSpec": "identity_center",
}


def structure(data: Any, cls: type[Any]) -> tuple[Any, list[Problem]]:
    """``data`` as an instance of ``cls``, or ``None`` and every problem found."""
    try:
        return _converter().structure(data, cls), []
    except Exception as exc:
        return None, list(_walk(exc, ()))
