"""Kinds are registered by declaration, never found through the garbage collector.

``Resource.__subclasses__()`` still lists the class attrs replaced (a slotted
class is rebuilt) until a collection runs; instantiating that class fails with
``TypeError: PermissionSet() takes no arguments``. So the proof runs in a fresh
interpreter with the collector off, for every kind: plan and apply twice.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import ClassVar

import attrs
import pytest

import secureml as sm
from secureml.engine import resource_kinds
from secureml.errors import ValidationError
from secureml.resources import Resource, register_kind, registered_kinds

SHIPPED = {
    "cloudtrail-audit-trail": sm.AuditTrail,
    "iam-policy": sm.ManagedPolicy,
    "iam-role": sm.Role,
    "s3-account-public-access-block": sm.AccountPublicAccessBlock,
    "s3-public-access-block": sm.BucketPublicAccessBlock,
    "sso-access-control-attributes": sm.AccessControlAttributes,
    "sso-group-assignment": sm.GroupAssignment,
    "sso-permission-set": sm.PermissionSet,
    "sso-user-assignment": sm.UserAssignment,
}

SCRIPT = textwrap.dedent(
    """
    import gc
    gc.disable()
    import sys
    sys.path.insert(0, {tests!r})
    import secureml as sm
    from secureml.engine import resource_kinds
    from secureml.testing import mock_session
    from _every_kind import every_kind, prepare, resources

    shipped = {shipped!r}
    kinds = resource_kinds()
    assert {{k: f"{{c.__module__}}.{{c.__qualname__}}" for k, c in kinds.items()
            if k in shipped}} == shipped, kinds
    blueprints = [sm.Blueprint(f"only-{{k.split('-')[-1]}}", rs)
                  for k, rs in resources().items()]
    blueprints.append(every_kind())
    assert {{r.kind for r in blueprints[-1]}} == set(shipped)
    for bp in blueprints:
        with mock_session() as session:
            prepare(session)
            for attempt in (1, 2):
                bp.plan(session)
                bp.apply(session)
            assert bp.plan(session).is_empty, bp.plan(session)
            assert gc.isenabled() is False
        print("converged", bp.name)
    """
)


def test_every_kind_plans_and_applies_twice_in_a_fresh_interpreter_without_gc() -> None:
    shipped = {k: f"{c.__module__}.{c.__qualname__}" for k, c in SHIPPED.items()}
    script = SCRIPT.format(tests=str(Path(__file__).parent), shipped=shipped)
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=False
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.count("converged") == len(SHIPPED) + 1, run.stdout


def test_the_registry_holds_the_final_classes() -> None:
    kinds = resource_kinds()
    for kind, cls in SHIPPED.items():
        assert kinds[kind] is cls
        cls_kinds = registered_kinds()
        assert cls_kinds[kind] is cls
    assert list(kinds) == sorted(kinds)


def _kind(kind: str) -> type[Resource]:
    @attrs.frozen
    class Thing(Resource):
        kind_: ClassVar[str] = kind
        name: str

        def desired(self, ctx: object) -> dict[str, object]:
            return {}

        def read(self, ctx: object) -> None:
            return None

        def create(self, ctx: object, desired: object) -> None:
            pass

        def update(self, ctx: object, observed: object, desired: object) -> None:
            pass

        def delete(self, ctx: object, observed: object) -> None:
            pass

    Thing.kind = kind
    return Thing


def test_a_subclass_that_is_not_registered_is_not_a_kind() -> None:
    cls = _kind("test-unregistered")
    assert "test-unregistered" not in resource_kinds()
    register_kind(cls)
    assert resource_kinds()["test-unregistered"] is cls


def test_a_kind_claimed_twice_or_without_a_name_is_refused() -> None:
    with pytest.raises(ValidationError, match="'iam-role' is already registered by"):
        register_kind(_kind("iam-role"))
    with pytest.raises(ValidationError, match="has no kind"):
        register_kind(_kind(""))
    with pytest.raises(ValidationError, match="not a subclass"):
        register_kind(dict)  # type: ignore[type-var]

    class Abstract(Resource):
        kind = "test-abstract"

    with pytest.raises(ValidationError, match="is abstract"):
        register_kind(Abstract)  # type: ignore[type-abstract]
    assert resource_kinds()["iam-role"] is sm.Role


def test_registering_the_same_class_again_replaces_it() -> None:
    first = _kind("test-redefined")
    register_kind(first)
    again = _kind("test-redefined")  # a notebook cell run twice: same module and name
    assert register_kind(again) is again
    assert resource_kinds()["test-redefined"] is again
