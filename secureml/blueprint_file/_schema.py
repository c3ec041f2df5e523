"""The JSON Schema of blueprint files, generated from the spec classes.

Editors (VS Code's YAML extension, JetBrains IDEs) validate and complete a
blueprint file against it. It is generated, never hand-written, so it says
exactly what the loader accepts: the same keys, types and choices. Checks
that need the Python API (bucket name rules, missing activity inputs,
references between personas) stay with the loader.
"""

from __future__ import annotations

import copy
import functools
import typing
from typing import Any, Literal, get_args, get_origin

import attrs

from secureml import activities as _act
from secureml.blueprint_file._convert import activity_inputs
from secureml.blueprint_file._spec import SPEC_CLASSES, AccountId, ActivitySpec, BlueprintSpec

__all__ = ["SCHEMA_DIALECT", "json_schema"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_ACCOUNT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": r"^\d{12}$"},
        {"type": "integer", "minimum": 100000000000, "maximum": 999999999999},
    ],
    "description": "A 12-digit AWS account id (quote it: \"111122223333\").",
}


def _summary(cls: type) -> str:
    """The first paragraph of a class's docstring, on one line."""
    return " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())


def _def_name(cls: type) -> str:
    return cls.__name__.removesuffix("Spec")


def _type_schema(tp: Any) -> dict[str, Any]:
    if tp is str:
        return {"type": "string"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is AccountId:
        return dict(_ACCOUNT_SCHEMA)
    if tp is ActivitySpec:
        return {"$ref": "#/$defs/Activity"}
    if isinstance(tp, type) and attrs.has(tp):
        return {"$ref": f"#/$defs/{_def_name(tp)}"}
    origin, args = get_origin(tp), get_args(tp)
    if origin is Literal:
        return {"enum": list(args)}
    if origin is tuple and len(args) == 2 and args[1] is ...:
        return {"type": "array", "items": _type_schema(args[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": _type_schema(args[1])}
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        options = [_type_schema(a) for a in args if a is not type(None)]
        schema = options[0] if len(options) == 1 else {"anyOf": options}
        if type(None) in args:
            return {"anyOf": [schema, {"type": "null"}]}
        return schema
    raise TypeError(f"no JSON Schema for {tp!r}")


def _with(schema: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Add keywords to the non-null branch of a schema."""
    if not extra:
        return schema
    target = schema
    if "anyOf" in schema and {"type": "null"} in schema["anyOf"]:
        target = schema["anyOf"][0]
    extra = dict(extra)
    for keyword in ("pattern", "enum"):
        value = extra.pop(f"items_{keyword}", None)
        if value is not None:
            target["items"] = {**target["items"], keyword: value}
    target.update(extra)
    return schema


def _json_default(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value


def _class_schema(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in attrs.fields(cls):
        meta = field.metadata
        schema = _with(_type_schema(hints[field.name]), dict(meta.get("schema", {})))
        schema = {"description": meta["doc"], **schema} if "doc" in meta else schema
        if field.default is attrs.NOTHING:
            required.append(field.name)
        elif not isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            schema["default"] = _json_default(field.default)
        properties[field.name] = schema
    out: dict[str, Any] = {
        "type": "object",
        "description": _summary(cls),
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        out["required"] = required
    return out


def _activity_schema() -> dict[str, Any]:
    names: list[str] = []
    objects: list[dict[str, Any]] = []
    for cls in _act.ALL:
        names.append(cls.name)
        properties: dict[str, Any] = {"activity": {"enum": [cls.name, cls.__name__]}}
        for input_name, tp in activity_inputs(cls).items():
            properties[input_name] = _type_schema(tp)
        objects.append(
            {
                "type": "object",
                "title": cls.name,
                "description": _summary(cls),
                "properties": properties,
                "required": ["activity"],
                "additionalProperties": False,
            }
        )
    return {
        "description": "An activity: its name, or {activity: NAME, INPUT: VALUE...} with "
        "its own inputs.",
        "anyOf": [
            {"enum": names + [cls.__name__ for cls in _act.ALL]},
            {
                "type": "object",
                "required": ["activity"],
                "properties": {"activity": {"enum": names + [c.__name__ for c in _act.ALL]}},
                # One branch per activity: only its own inputs are allowed.
                "oneOf": objects,
            },
        ],
    }


def _refine(defs: dict[str, Any]) -> None:
    """Rules the classes cannot say by their fields alone."""

    def given(key: str) -> dict[str, Any]:
        # As the loader sees it: a key given a non-empty list (an empty one is no input).
        return {"required": [key], "properties": {key: {"minItems": 1}}}

    persona = defs["Persona"]
    persona["allOf"] = [
        {
            "if": {"properties": {"kind": {"const": "MLOps"}}, "required": ["kind"]},
            "then": {"not": {"anyOf": [
                given(key) for key in ("buckets", "ecr_repositories", "workgroups",
                                       "glue_databases")
            ]}},
        },
        {
            "if": {"properties": {"kind": {"const": "DataScientist"}}, "required": ["kind"]},
            "then": {"not": given("ecr_repositories")},
        },
    ]
    assignment = defs["Assignment"]
    assignment["oneOf"] = [{"required": ["group"]}, {"required": ["user"]}]
    assignment["anyOf"] = [given("accounts"), given("organizational_units")]


@functools.cache
def _schema() -> dict[str, Any]:
    defs = {_def_name(cls): _class_schema(cls) for cls in SPEC_CLASSES}
    defs["Activity"] = _activity_schema()
    _refine(defs)
    top = defs.pop(_def_name(BlueprintSpec))
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "secureml blueprint",
        **top,
        "$defs": dict(sorted(defs.items())),
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of blueprint files, as a new dict."""
    return copy.deepcopy(_schema())
