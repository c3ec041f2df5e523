"""apply(expected=plan) runs exactly the reviewed plan or nothing; on_change reports progress."""

from __future__ import annotations

import threading

import attrs
import boto3
import pytest

import secureml as sm
from secureml.engine import Change
from secureml.testing import CallRecorder


def _blueprint(*names: str) -> sm.Blueprint:
    roles = [sm.Compute(n, buckets=["team-a-data"], ecr_repositories=["team-a/*"]).role()
             for n in names]
    return sm.Blueprint("bp", roles)


def test_apply_with_the_reviewed_plan_carries_it_out(session: boto3.Session) -> None:
    bp = _blueprint("compute-a", "compute-b")
    reviewed = bp.plan(session=session)

    result = bp.apply(session=session, expected=reviewed)

    assert sorted(c.key for c in result.applied) == ["iam-role/compute-a", "iam-role/compute-b"]
    assert bp.plan(session=session).is_empty


def test_apply_refuses_when_the_account_changed_since_the_review(
    session: boto3.Session,
) -> None:
    bp = _blueprint("compute-a")
    reviewed = bp.plan(session=session)
    # Out of band, after the review: someone applies a smaller blueprint's role first,
    # so the reviewed "create" would now be an "update" or a no-op.
    bp.apply(session=session)
    bp2 = _blueprint("compute-a", "compute-b")
    calls = CallRecorder.attach(session)

    with pytest.raises(sm.PlanChangedError) as info:
        bp2.apply(session=session, expected=reviewed)

    assert "create iam-role/compute-b" in info.value.added
    assert "create iam-role/compute-a" in info.value.removed
    assert "nothing was changed" in str(info.value)
    assert calls.mutating == []


def test_apply_refuses_when_the_desired_state_differs_from_the_reviewed_one(
    session: boto3.Session,
) -> None:
    reviewed = _blueprint("compute-a").plan(session=session)
    other = sm.Blueprint(
        "bp",
        [sm.Compute("compute-a", buckets=["team-b-data"], ecr_repositories=["team-a/*"]).role()],
    )

    with pytest.raises(sm.PlanChangedError) as info:
        other.apply(session=session, expected=reviewed)

    assert info.value.added == ("create iam-role/compute-a",)
    assert info.value.removed == ()


@pytest.mark.parametrize(
    ("field", "value"),
    [("account_id", "210987654321"), ("region", "eu-west-1"), ("blueprint", "other")],
)
def test_apply_refuses_a_plan_reviewed_for_another_account_region_or_blueprint(
    session: boto3.Session, calls: CallRecorder, field: str, value: str
) -> None:
    bp = _blueprint("compute-a")
    # The same changes, reviewed somewhere else (a staging account, another region).
    reviewed = attrs.evolve(bp.plan(session=session), **{field: value})
    calls.clear()

    with pytest.raises(sm.PlanChangedError) as info:
        bp.apply(session=session, expected=reviewed)

    what = field.removesuffix("_id")
    assert info.value.removed == (f"{what} {value}",)
    assert calls.mutating == []


def test_on_change_reports_every_change_once_with_running_counts(
    session: boto3.Session,
) -> None:
    bp = _blueprint("compute-a", "compute-b", "compute-c")
    seen: list[tuple[str, int, int]] = []
    threads: set[int] = set()

    def progress(change: Change, done: int, total: int) -> None:
        seen.append((change.key, done, total))
        threads.add(threading.get_ident())

    bp.apply(session=session, on_change=progress)

    assert sorted(k for k, _, _ in seen) == [
        "iam-role/compute-a", "iam-role/compute-b", "iam-role/compute-c"
    ]
    assert [d for _, d, _ in seen] == [1, 2, 3]
    assert {t for _, _, t in seen} == {3}
    assert threads == {threading.get_ident()}  # the caller's thread: no lock needed
    seen.clear()
    bp.apply(session=session, on_change=progress)
    assert seen == []
