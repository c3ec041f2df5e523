"""Applies that run at the same time on one account (issue 15, point 6): the same
blueprint from two threads, and two disjoint blueprints at once. Each ends
converged (the plan that follows is empty), and an apply that loses a race
fails with a secureml error that says what happened, never a raw botocore or
Python error.

Each thread has its own ``boto3.Session`` (sessions are not thread-safe); all
of them reach the one moto backend, which answers repeated creates as AWS does.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest
from _every_kind import NO_SLEEP, every_kind, prepare

import secureml as sm
from secureml.testing import mock_session


def _run_together(jobs: list[tuple[sm.Blueprint, boto3.Session]]) -> list[BaseException | None]:
    barrier = threading.Barrier(len(jobs))
    outcome: list[BaseException | None] = [None] * len(jobs)

    def run(i: int, bp: sm.Blueprint, session: boto3.Session) -> None:
        barrier.wait(timeout=30)
        try:
            bp.apply(session)
        except BaseException as exc:
            outcome[i] = exc

    threads = [threading.Thread(target=run, args=(i, bp, s)) for i, (bp, s) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads)
    return outcome


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in out:
        out.append(seen)
        seen = seen.__cause__ or seen.__context__
    return out


def _assert_clear(outcome: list[BaseException | None]) -> None:
    for exc in outcome:
        if exc is None:
            continue
        assert isinstance(exc, sm.SecureMLError), repr(exc)
        # What the user reads names the resource and the AWS error, not Python internals.
        for inner in _chain(exc):
            assert not isinstance(inner, TypeError | AttributeError | KeyError), repr(inner)


@pytest.mark.parametrize("attempt", [1, 2])
def test_the_same_blueprint_applied_from_two_threads_converges(attempt: int) -> None:
    bp = every_kind(max_workers=4)
    with mock_session() as session:
        prepare(session)
        sessions = [boto3.Session(region_name="us-east-1") for _ in range(2)]
        outcome = _run_together([(bp, s) for s in sessions])
        _assert_clear(outcome)
        assert any(e is None for e in outcome) or all(
            isinstance(e, sm.ConvergenceError) for e in outcome
        ), outcome
        if any(e is not None for e in outcome):
            bp.apply(session)  # the loser's next apply finishes the job
        plan = bp.plan(session)
        assert plan.is_empty, str(plan)
        _assert_one_of_each(session)


def _assert_one_of_each(session: boto3.Session, names: tuple[str, ...] = ("team-a",)) -> None:
    sso = session.client("sso-admin")
    instance = sso.list_instances()["Instances"][0]["InstanceArn"]
    sets = [sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=arn)[
        "PermissionSet"]["Name"]
        for arn in sso.list_permission_sets(InstanceArn=instance)["PermissionSets"]]
    assert sorted(sets) == sorted(f"{n}-ds" for n in names)
    trails = [t["Name"] for t in session.client("cloudtrail").list_trails()["Trails"]]
    assert sorted(trails) == sorted(f"{n}-audit" for n in names)


def test_two_disjoint_blueprints_applied_at_once_both_converge() -> None:
    team_a = every_kind("team-a", max_workers=4)
    # Disjoint: team-b leaves the account's and the data bucket's blocks and the
    # instance's attributes for access control to team-a.
    team_b = every_kind("team-b", account_block=False, data_block=False, attributes=False,
                        max_workers=4)
    with mock_session() as session:
        prepare(session)
        jobs = [(team_a, boto3.Session(region_name="us-east-1")),
                (team_b, boto3.Session(region_name="us-east-1"))]
        outcome = _run_together(jobs)
        assert outcome == [None, None], outcome
        for bp in (team_a, team_b):
            plan = bp.plan(session)
            assert plan.is_empty, str(plan)
        _assert_one_of_each(session, ("team-a", "team-b"))
        # Neither blueprint sees the other's resources as its own orphans.
        for bp in (team_a, team_b):
            assert bp.plan(session, prune=True).is_empty


def test_results_hold_whatever_thread_finished_first() -> None:
    """Guard: the helpers above see failures (a test that cannot fail is a defect)."""
    boom: list[BaseException | None] = [TypeError("x")]
    with pytest.raises(AssertionError):
        _assert_clear(boom)
    wrapped: Any = sm.ConvergenceError("y", applied=[])
    wrapped.__cause__ = KeyError("k")
    with pytest.raises(AssertionError):
        _assert_clear([wrapped])


def test_moto_answers_concurrent_requests_safely_as_aws_does() -> None:
    """The engine sends up to max_workers requests at once. moto's IAM backend alone
    fails them now and then (a dict changed while another request iterates it);
    secureml's moto completion answers one request at a time, so 8 threads creating
    and attaching policies all succeed."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    from secureml.testing import mock_session

    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}]})
    with mock_session() as session:
        iam = session.client("iam")
        for r in range(8):
            iam.create_role(RoleName=f"r{r}", AssumeRolePolicyDocument="{}")

        def work(r: int) -> None:
            for i in range(40):
                arn = iam.create_policy(PolicyName=f"p{r}-{i}", PolicyDocument=document)
                iam.attach_role_policy(RoleName=f"r{r}", PolicyArn=arn["Policy"]["Arn"])
                iam.detach_role_policy(RoleName=f"r{r}", PolicyArn=arn["Policy"]["Arn"])

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(work, range(8)))
        pages = iam.get_paginator("list_policies").paginate(Scope="Local")
        assert sum(len(page["Policies"]) for page in pages) == 320


class _InFlight:
    """The most calls in flight at once, counted between two hooks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0

    def enter(self, **_: Any) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def leave(self, **_: Any) -> None:
        with self.lock:
            self.now -= 1


def _many_roles(n: int) -> sm.Blueprint:
    doc = sm.PolicyDocument([sm.Statement(actions="s3:ListBucket",
                                          resources="arn:aws:s3:::team-a-data")])
    bp = sm.Blueprint("many", [sm.Role(f"role-{i}", policies=[doc]) for i in range(n)],
                      retry=NO_SLEEP)
    assert bp.max_workers == 10  # the default, which the CLI uses too
    return bp


def _count_served(monkeypatch: pytest.MonkeyPatch, name: str) -> _InFlight:
    """Count the requests moto serves at once (``name``: the completion's handle on
    moto's in-process or server answer)."""
    import secureml._moto_aws as moto_aws

    inside = _InFlight()
    served = getattr(moto_aws, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        inside.enter()
        try:
            return served(*args, **kwargs)
        finally:
            inside.leave()

    monkeypatch.setattr(moto_aws, name, counted)
    return inside


def _apply_counting(bp: sm.Blueprint, session: boto3.Session) -> _InFlight:
    sent = _InFlight()
    session.events.register("before-call.*.*", sent.enter)
    session.events.register("after-call.*.*", sent.leave)
    result = bp.apply(session)
    assert len(result.applied) == len(bp)
    assert bp.plan(session).is_empty
    return sent


def test_many_roles_with_the_default_workers_apply_cleanly_on_the_emulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``mock_session`` with the engine's default 10 workers: 60 roles apply three
    times over, the engine sending several requests at once and moto answering one
    at a time (its IAM backend raced at 300 roles: ``dictionary changed size during
    iteration``)."""
    bp = _many_roles(60)
    inside = _count_served(monkeypatch, "_original_stubber_call")
    for _ in range(3):
        with mock_session() as session:
            sent = _apply_counting(bp, session)
        assert sent.most > 1  # the engine did send requests concurrently
    assert inside.most == 1  # and moto served them one at a time


def test_the_local_emulator_server_answers_one_request_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--local`` runs moto's server in this process: the same protection."""
    from secureml.cli import _local
    from secureml.cli._session import make_session

    bp = _many_roles(30)
    inside = _count_served(monkeypatch, "_original_dispatch")
    with _local.emulator() as url:
        session = make_session(region="us-east-1", endpoint_url=url, fake_credentials=True)
        sent = _apply_counting(bp, session)
    assert sent.most > 1
    assert inside.most == 1
