"""Names everywhere: activity classes, instances and Role Manager names are
accepted by with_activities, without_activities and activities=, with a
did-you-mean on a typo."""

from __future__ import annotations

import pytest

import secureml as sm
from secureml import activities as act


def _names(p: sm.Persona) -> list[str]:
    return [a.name for a in p.activities]


def test_with_activities_takes_names_classes_and_instances() -> None:
    ops = sm.MLOps("ops", pass_roles=["c"], activities=[])

    by_name = ops.with_activities("Manage Endpoints")
    by_class = ops.with_activities(act.ManageEndpoints)
    by_instance = ops.with_activities(act.ManageEndpoints())

    assert _names(by_name) == _names(by_class) == _names(by_instance) == ["Manage Endpoints"]


def test_activities_takes_names_in_every_builder_and_persona() -> None:
    ds = sm.DataScientist("ds", buckets=["b-data"], pass_roles=["c"],
                          activities=["Manage ML Jobs", act.S3BucketAccess])
    compute = sm.Compute("c", buckets=["b-data"], activities=["access required aws services"])

    assert _names(ds) == ["Manage ML Jobs", "S3 Bucket Access"]
    assert _names(compute) == ["Access Required AWS Services"]
    assert sm.Persona("p", "MLOps", activities="ManageEndpoints").activities == (
        act.ManageEndpoints(),
    )


def test_without_activities_takes_instances_too() -> None:
    ds = sm.DataScientist("ds", buckets=["b-data"], pass_roles=["c"])

    assert "Manage Experiments" not in _names(ds.without_activities(act.ManageExperiments()))


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("Manage Endpoint", "Manage Endpoints"), ("ManageMLJob", "Manage ML Jobs"),
     ("S3 Bucket Acess", "S3 Bucket Access")],
)
def test_a_typo_gets_a_did_you_mean(typo: str, meant: str) -> None:
    ops = sm.MLOps("ops", pass_roles=["c"])

    for attempt in (
        lambda: ops.with_activities(typo),
        lambda: sm.MLOps("ops", pass_roles=["c"], activities=[typo]),
        lambda: ops.without_activities(typo),
    ):
        with pytest.raises(sm.ValidationError, match=f"did you mean '{meant}'"):
            attempt()


def test_something_that_is_no_activity_says_what_is_accepted() -> None:
    with pytest.raises(sm.ValidationError, match="Role Manager name"):
        sm.MLOps("ops", pass_roles=["c"]).with_activities(42)  # type: ignore[arg-type]
