"""The engine on its own: validation, ordering, concurrency, failures, ownership,
pruning and the plan's rendering, with a resource kind defined here (a plugin,
as the IAM, Identity Center and S3 kinds are) whose state lives in memory."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

import attrs
import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError

import secureml as sm
from secureml.aws import AwsContext, RetryPolicy
from secureml.engine import ApplyResult, Change, Plan, diff_lines, resource_kinds
from secureml.errors import ConvergenceError, OwnershipError, Problem, ValidationError
from secureml.resources import OWNER_TAG, Observed, Resource, State, register_kind
from secureml.testing import CallRecorder

NO_SLEEP = RetryPolicy(sleep=lambda _: None)


@attrs.define
class Store:
    """The 'cloud' of the toy kind: items by name, and a log of what was done."""

    items: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    log: list[tuple[str, str]] = attrs.field(factory=list)
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    fail_on: set[str] = attrs.field(factory=set)
    barrier: threading.Barrier | None = None


@register_kind
@attrs.frozen
class Widget(Resource):
    """A toy kind: a named value owned through an ``owner`` field."""

    kind: ClassVar[str] = "test-widget"
    discoverable: ClassVar[list[Store]] = []
    deny_discovery: ClassVar[list[bool]] = []

    name: str
    value: str
    store: Store = attrs.field(eq=False, repr=False)
    after: tuple[str, ...] = ()
    adopt: bool = False
    external: tuple[str, ...] = ()

    def dependencies(self) -> Iterable[str]:
        return [f"test-widget/{a}" for a in self.after]

    def external_dependencies(self) -> Iterable[str]:
        return [f"test-widget/{a}" for a in self.external]

    def problems(self) -> list[Problem]:
        if self.value:
            return []
        return [Problem("value", self.value, f"widget {self.name!r}: value must be non-empty")]

    def desired(self, ctx: AwsContext) -> State:
        return {"value": self.value, "owner": ctx.blueprint}

    def read(self, ctx: AwsContext) -> Observed | None:
        item = self.store.items.get(self.name)
        if item is None:
            return None
        return Observed(state=dict(item), owner=item.get("owner"))

    def _do(self, action: str, state: dict[str, Any] | None) -> None:
        if self.store.barrier is not None:
            self.store.barrier.wait(timeout=5)
        if self.name in self.store.fail_on:
            raise RuntimeError(f"{self.name} broke")
        with self.store.lock:
            self.store.log.append((action, self.name))
            if state is None:
                self.store.items.pop(self.name, None)
            else:
                self.store.items[self.name] = dict(state)

    def create(self, ctx: AwsContext, desired: State) -> None:
        self._do("create", desired)

    def update(self, ctx: AwsContext, observed: Observed, desired: State) -> None:
        self._do("update", desired)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        self._do("delete", None)

    @classmethod
    def discover(cls, ctx: AwsContext, blueprint: str) -> Iterator[Widget]:
        if cls.deny_discovery:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListWidgets")
        for store in cls.discoverable:
            for name, item in store.items.items():
                yield cls(name, item["value"], store, after=tuple(item.get("after", ())))


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store()
    Widget.discoverable.append(s)
    yield s
    Widget.discoverable.clear()
    Widget.deny_discovery.clear()


def bp(name: str, *widgets: Widget, **kwargs: Any) -> sm.Blueprint:
    return sm.Blueprint(name, list(widgets), retry=NO_SLEEP, **kwargs)


# -- validation: before any call ----------------------------------------------------


def test_every_problem_is_reported_at_once_before_any_call(
    store: Store, session: boto3.Session, calls: CallRecorder
) -> None:
    ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"], pass_roles=["team-a-compute"])
    # A resource's own problems stop it on the line that makes it (a kind gets this
    # from Resource), with the field's path...
    with pytest.raises(ValidationError, match="value must be non-empty") as own:
        Widget("b", "", store, after=("missing",))
    assert [p.path for p in own.value.problems] == [("value",)]
    # ...and the blueprint reports every problem between resources at once.
    with pytest.raises(ValidationError) as err:
        sm.Blueprint(
            "bad name!",
            [
                Widget("a", "1", store),
                Widget("a", "2", store),
                Widget("b", "x", store, after=("missing",)),
                ds,  # type: ignore[list-item]
            ],
        )
    text = str(err.value)
    assert len(err.value.problems) == 4, err.value.problems
    assert "blueprint name 'bad name!'" in text
    assert "'test-widget/a' appears 2 times" in text
    assert "depends on 'test-widget/missing', which is not in the blueprint" in text
    assert "persona.role()" in text
    assert calls.calls == []


@attrs.frozen
class _OldWidget(Widget):
    """A kind written before ``validate()`` became ``problems()``."""

    def problems(self) -> list[Problem]:
        return Resource.problems(self)

    def validate(self) -> list[str]:
        return [] if self.value else ["old widget: value must be non-empty"]


def test_a_kind_that_still_defines_validate_is_checked_with_a_deprecation_warning(
    store: Store,
) -> None:
    with (
        pytest.warns(DeprecationWarning, match=r"validate\(\) is deprecated"),
        pytest.raises(ValidationError, match="old widget: value must be non-empty"),
    ):
        _OldWidget("a", "", store)


class _PlainWidget(Widget):
    """A kind whose ``__init__`` is its own (no attrs post-init): the blueprint checks it."""

    def __init__(self, name: str, value: str, store: Store) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "store", store)
        object.__setattr__(self, "after", ())
        object.__setattr__(self, "external", ())
        object.__setattr__(self, "adopt", False)


def test_a_kind_not_checked_when_made_is_checked_by_the_blueprint(store: Store) -> None:
    with pytest.raises(ValidationError, match="value must be non-empty") as err:
        bp("bp", _PlainWidget("a", "", store))
    assert [p.path for p in err.value.problems] == [("resources", 0, "value")]


def test_a_dependency_cycle_is_a_validation_error(store: Store) -> None:
    with pytest.raises(ValidationError, match="dependency cycle: test-widget/a -> test-widget/b"):
        bp("bp", Widget("a", "1", store, after=("b",)), Widget("b", "1", store, after=("a",)))


def test_external_dependencies_may_be_absent(store: Store) -> None:
    blueprint = bp("bp", Widget("a", "1", store, after=("x",), external=("x",)))
    assert blueprint.keys() == ["test-widget/a"]


def test_the_widget_kind_registers_by_declaration() -> None:
    kinds = resource_kinds()
    assert kinds["test-widget"] is Widget
    assert kinds["iam-role"] is sm.Role
    assert kinds["iam-policy"] is sm.ManagedPolicy
    assert "" not in kinds


# -- plan --------------------------------------------------------------------------


def test_plan_reads_only_and_shows_each_action(store: Store, session: boto3.Session) -> None:
    store.items["same"] = {"value": "1", "owner": "bp"}
    store.items["changed"] = {"value": "old", "owner": "bp"}
    blueprint = bp(
        "bp", Widget("new", "1", store), Widget("same", "1", store), Widget("changed", "new", store)
    )
    plan = blueprint.plan(session)
    assert [(c.action, c.name) for c in plan.changes] == [
        ("create", "new"),
        ("no-op", "same"),
        ("update", "changed"),
    ]
    assert store.log == []
    assert not plan.is_empty
    assert plan.counts() == {"create": 1, "update": 1, "delete": 0, "no-op": 1}
    text = str(plan)
    assert "+ create test widget new" in text  # one label style: words, then the name
    assert 'value: "old" -> "new"' in text
    assert "test widget same" not in text
    assert json.loads(json.dumps(plan.to_dict()))["summary"] == {
        "create": 1, "update": 1, "delete": 0, "unchanged": 1, "kept": 0,
    }


def test_diff_shows_policies_statement_by_statement() -> None:
    s1 = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    s2 = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}
    s3 = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}
    before = {"doc": {"Version": "2012-10-17", "Statement": [s1, s2]}, "path": "/"}
    after = {"doc": {"Version": "2012-10-17", "Statement": [s1, s3]}, "path": "/"}
    lines = diff_lines(before, after)
    # Same effect and resources, other actions: one statement changed, as a table row.
    assert lines == [
        "doc: policy, 1 statement changed",
        "  ±  Effect  Actions          Resources  Conditions",
        "  ~  Allow   + s3:ListBucket  *",
        "             - s3:PutObject",
    ]
    verbose = diff_lines(before, after, verbose=True)
    assert verbose[:4] == lines
    assert verbose[4:] == [
        '  - {"Action":"s3:PutObject","Effect":"Allow","Resource":"*"}',
        '  + {"Action":"s3:ListBucket","Effect":"Allow","Resource":"*"}',
    ]
    assert diff_lines({"l": ["a", "b"]}, {"l": ["b", "c"]}) == ["l:", '  - "a"', '  + "c"']


def test_a_policy_table_pairs_statements_that_keep_their_actions() -> None:
    old = {"Effect": "Allow", "Action": ["s3:GetObject"],
           "Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]}
    new = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::a/*"}
    deny = {"Sid": "NoHttp", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    lines = diff_lines({"p": {"Statement": [old]}}, {"p": {"Statement": [new, deny]}})
    assert lines == [
        "p: policy, 1 statement changed, 1 added",
        "  ±  Effect      Actions       Resources           Conditions",
        "  ~  Allow       s3:GetObject  - arn:aws:s3:::b/*",
        "                               (1 unchanged)",
        "  +  Deny        s3:*          *                   Bool aws:SecureTransport: false",
        "     Sid NoHttp",
    ]


def test_lists_of_objects_are_diffed_item_by_item() -> None:
    selectors = [{"Name": "data", "Fields": [{"Field": "arn", "StartsWith": ["a/", "b/"]}]}]
    fewer = [{"Name": "data", "Fields": [{"Field": "arn", "StartsWith": ["a/"]}]}]
    assert diff_lines({"selectors": selectors}, {"selectors": fewer}) == [
        "selectors[0].Fields[0].StartsWith:", '  - "b/"',
    ]


# -- ownership ---------------------------------------------------------------------


def test_a_resource_owned_by_someone_else_is_refused_by_name(
    store: Store, session: boto3.Session
) -> None:
    store.items["w"] = {"value": "x", "owner": None}
    with pytest.raises(OwnershipError, match="test-widget/w exists but is not owned") as err:
        bp("bp", Widget("w", "1", store)).apply(session)
    assert err.value.resource == "test-widget/w"
    assert "no secureml:blueprint tag" in str(err.value)
    assert store.log == []
    store.items["w"]["owner"] = "other"
    with pytest.raises(OwnershipError, match="'other', not 'bp'"):
        bp("bp", Widget("w", "1", store)).plan(session)


def test_adopt_takes_an_unowned_resource_over(store: Store, session: boto3.Session) -> None:
    store.items["w"] = {"value": "x", "owner": None}
    result = bp("bp", Widget("w", "1", store, adopt=True)).apply(session)
    assert [(c.action, c.name) for c in result.applied] == [("update", "w")]
    assert store.items["w"] == {"value": "1", "owner": "bp"}


# -- apply: order, concurrency, failures, pruning ------------------------------------


def test_apply_orders_by_dependencies_and_a_second_apply_does_nothing(
    store: Store, session: boto3.Session
) -> None:
    blueprint = bp(
        "bp",
        Widget("c", "1", store, after=("b",)),
        Widget("b", "1", store, after=("a",)),
        Widget("a", "1", store),
        max_workers=4,
    )
    result = blueprint.apply(session)
    assert isinstance(result, ApplyResult)
    assert store.log == [("create", "a"), ("create", "b"), ("create", "c")]
    assert [c.name for c in result.plan.changes] == ["a", "b", "c"]
    again = blueprint.apply(session)
    assert not again.changed
    assert store.log == [("create", "a"), ("create", "b"), ("create", "c")]


def test_independent_resources_are_applied_concurrently(
    store: Store, session: boto3.Session
) -> None:
    # Each create waits until all three are in flight: this only passes when they
    # run at the same time (sequentially the barrier would time out and break).
    store.barrier = threading.Barrier(3)
    blueprint = bp(
        "bp",
        Widget("a", "1", store),
        Widget("b", "1", store),
        Widget("c", "1", store),
        max_workers=3,
    )
    result = blueprint.apply(session)
    assert sorted(c.name for c in result.applied) == ["a", "b", "c"]


def test_a_failure_reports_what_was_applied_and_skips_dependants(
    store: Store, session: boto3.Session
) -> None:
    store.fail_on.add("b")
    blueprint = bp(
        "bp",
        Widget("a", "1", store),
        Widget("b", "1", store, after=("a",)),
        Widget("c", "1", store, after=("b",)),
        max_workers=1,
    )
    with pytest.raises(ConvergenceError) as err:
        blueprint.apply(session)
    assert [c.name for c in err.value.applied] == ["a"]
    assert isinstance(err.value.applied[0], Change)
    assert "create test-widget/b failed: b broke" in str(err.value)
    assert "not attempted: test-widget/c" in str(err.value)
    assert isinstance(err.value.__cause__, RuntimeError)
    store.fail_on.clear()
    result = blueprint.apply(session)
    assert [c.name for c in result.applied] == ["b", "c"]


def test_orphans_are_planned_as_deletes_and_removed_only_with_prune(
    store: Store, session: boto3.Session
) -> None:
    bp("bp", Widget("keep", "1", store), Widget("gone", "1", store)).apply(session)
    store.items["theirs"] = {"value": "1", "owner": "other-bp"}
    smaller = bp("bp", Widget("keep", "1", store))
    plan = smaller.plan(session)
    assert [(c.action, c.name, c.orphan) for c in plan.changes] == [
        ("no-op", "keep", False),
        ("delete", "gone", True),
    ]
    assert plan.is_empty  # without prune nothing would be done
    assert "no longer in the blueprint, kept" in str(plan)
    result = smaller.apply(session)
    assert not result.changed
    assert [c.name for c in result.kept] == ["gone"]
    assert "gone" in store.items
    pruned_plan = smaller.plan(session, prune=True)
    assert not pruned_plan.is_empty
    result = smaller.apply(session, prune=True)
    assert [(c.action, c.name) for c in result.applied] == [("delete", "gone")]
    assert sorted(store.items) == ["keep", "theirs"]


def test_orphans_are_deleted_dependants_first(store: Store, session: boto3.Session) -> None:
    bp(
        "bp",
        Widget("base", "1", store),
        Widget("mid", "1", store, after=("base",)),
        Widget("top", "1", store, after=("mid",)),
        max_workers=4,
    ).apply(session)
    for name in ("base", "mid", "top"):
        deps = {"mid": ["base"], "top": ["mid"]}.get(name, [])
        store.items[name]["after"] = deps
    store.log.clear()
    bp("bp", max_workers=4).apply(session, prune=True)
    assert store.log == [("delete", "top"), ("delete", "mid"), ("delete", "base")]


def test_discovery_without_permission_warns_unless_pruning(
    store: Store, session: boto3.Session
) -> None:
    Widget.deny_discovery.append(True)
    plan = bp("bp", Widget("a", "1", store)).plan(session)
    assert any("test-widget" in w and "AccessDenied" in w for w in plan.warnings)
    with pytest.raises(sm.AWSCallError, match="AccessDenied"):
        bp("bp", Widget("a", "1", store)).plan(session, prune=True)


# Every listing the kinds secureml ships make to discover what a blueprint owns.
DISCOVERY_LISTINGS = [
    ("iam", "GetAccountAuthorizationDetails", "iam-role"),
    ("iam", "ListPolicies", "iam-policy"),
    ("cloudtrail", "ListTrails", "cloudtrail-audit-trail"),
]


def answer(session: boto3.Session, service: str, operation: str, result: Any) -> list[str]:
    """Answer every ``operation`` call with ``result``: an error code (a ClientError
    as AWS would send it), an exception to raise, or a parsed response."""
    seen: list[str] = []

    def handler(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        seen.append(operation)
        if isinstance(result, BaseException):
            raise result
        if isinstance(result, str):
            return AWSResponse("https://example.invalid", 403, {}, None), {
                "Error": {"Code": result, "Message": f"injected {result}"},
                "ResponseMetadata": {"HTTPStatusCode": 403},
            }
        return AWSResponse("https://example.invalid", 200, {}, None), result

    session.events.register(f"before-call.{service}.{operation}", handler)
    return seen


def test_the_shipped_kinds_discover_with_these_listings() -> None:
    kinds = resource_kinds()
    for _, _, kind in DISCOVERY_LISTINGS:
        assert kind in kinds


@pytest.mark.parametrize("listing", DISCOVERY_LISTINGS, ids=lambda x: str(x[1]))
@pytest.mark.parametrize(
    "failure",
    ["AccessDenied", "OptInRequired", EndpointConnectionError(endpoint_url="https://x.invalid")],
    ids=["denied", "not-subscribed", "no-endpoint"],
)
def test_a_kind_that_cannot_be_listed_never_fails_a_plain_plan(
    store: Store, session: boto3.Session, listing: tuple[str, str, str], failure: Any
) -> None:
    service, operation, kind = listing
    seen = answer(session, service, operation, failure)
    plan = bp("bp", Widget("a", "1", store)).plan(session)
    assert seen, f"{operation} was not called: the list above is out of date"
    assert [c.action for c in plan.changes] == ["create"]
    reason = failure if isinstance(failure, str) else "EndpointConnectionError"
    assert [w for w in plan.warnings if kind in w] == [
        f"could not look for {kind} resources no longer in the blueprint ({reason}), so none "
        "are shown; apply(prune=True) needs "
        + ("that permission" if reason == "AccessDenied" else "this listing to work")
    ]
    assert plan.is_empty is False
    # Pruning needs the listing: then it is an error naming the kind and the API call.
    with pytest.raises((sm.AWSCallError, EndpointConnectionError)) as err:
        bp("bp", Widget("a", "1", store)).plan(session, prune=True)
    if isinstance(err.value, sm.AWSCallError):
        assert err.value.operation == operation
        assert err.value.resource == f"{kind} resources"


@pytest.mark.parametrize(
    "listing", [{"Instances": []}, "AccessDeniedException"], ids=["no-instance", "denied"]
)
def test_identity_center_not_set_up_is_not_a_problem_for_a_plan(
    store: Store, session: boto3.Session, calls: CallRecorder, listing: Any
) -> None:
    answer(session, "sso-admin", "ListInstances", listing)
    plan = bp("bp", Widget("a", "1", store)).plan(session)
    assert plan.warnings == ()
    sso = [op for op in calls.operations() if op.startswith("sso-admin:")]
    # Nothing past the instance lookup (each Identity Center kind asks again when
    # refused: permission sets, group and user assignments, access control attributes).
    assert set(sso) == {"sso-admin:ListInstances"}
    assert len(sso) == (1 if isinstance(listing, dict) else 4)
    assert bp("bp", Widget("a", "1", store)).plan(session, prune=True).warnings == ()


def test_session_may_be_a_callable(store: Store, session: boto3.Session) -> None:
    made: list[int] = []

    def factory() -> boto3.Session:
        made.append(1)
        return session

    plan = bp("bp", Widget("a", "1", store)).plan(factory)
    assert made == [1]
    assert isinstance(plan, Plan)
    with pytest.raises(ValidationError, match=r"session: expected a boto3\.Session"):
        bp("bp", Widget("a", "1", store)).plan("default")  # type: ignore[arg-type]


def test_owner_tag_name() -> None:
    assert OWNER_TAG == "secureml:blueprint"


# -- every shipped kind: a plan never writes, and prune=False never deletes ------------


def _every_kind(session: boto3.Session, *, full: bool) -> sm.Blueprint:
    """One resource (or more) of every shipped kind; without ``full`` some are left
    out so that they become orphans."""
    from secureml.resources import (
        AccountPublicAccessBlock,
        AuditTrail,
        BucketPublicAccessBlock,
        GroupAssignment,
        ManagedPolicy,
        PermissionSet,
        Role,
        UserAssignment,
    )

    doc = sm.PolicyDocument(
        [sm.Statement(actions="s3:ListBucket", resources="arn:aws:s3:::team-a-data")]
    )
    policy = ManagedPolicy("team-a-list", doc)
    kept = [
        policy,
        Role("team-a-role", policies=[doc], managed_policies=[policy]),
        PermissionSet(name="team-a-ps",
                      managed_policies=["arn:aws:iam::aws:policy/ReadOnlyAccess"]),
        GroupAssignment(group="DataScientists", permission_set="team-a-ps",
                        accounts=["111122223333"]),
        UserAssignment(user="alice", permission_set="team-a-ps", accounts=["111122223333"]),
        BucketPublicAccessBlock("team-a-data"),
        AccountPublicAccessBlock(),
        AuditTrail("ml-audit", bucket="ml-audit-logs-bp"),
    ]
    extra = [
        ManagedPolicy("gone-policy", doc),
        Role("gone-role", policies=[doc]),
        PermissionSet(name="gone-ps"),
        GroupAssignment(group="DataScientists", permission_set="gone-ps",
                        accounts=["111122223333"]),
        AuditTrail("gone-audit", bucket="gone-audit-logs-bp"),
    ]
    return sm.Blueprint("every-kind", [*kept, *(extra if full else [])], retry=NO_SLEEP)


def test_plan_of_every_kind_only_reads_and_prune_false_deletes_nothing(
    session: boto3.Session,
) -> None:
    """Invariant: plan() makes only Get/List/Describe/Head calls, for every kind, with
    drift and orphans to find; apply(prune=False) then deletes nothing."""
    from secureml._moto_sso import moto_identity_center
    from secureml.testing import READ_PREFIXES

    with moto_identity_center():
        instance = session.client("sso-admin").list_instances()["Instances"][0]
        store = instance["IdentityStoreId"]
        ids = session.client("identitystore")
        ids.create_group(IdentityStoreId=store, DisplayName="DataScientists")
        ids.create_user(IdentityStoreId=store, UserName="alice", DisplayName="alice",
                        Name={"GivenName": "alice", "FamilyName": "Doe"})
        session.client("s3").create_bucket(Bucket="team-a-data")
        doc_json = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
        _every_kind(session, full=True).apply(session)
        # Drift on every kind, and five resources left out of the blueprint.
        iam = session.client("iam")
        theirs = iam.create_policy(
            PolicyName="theirs", PolicyDocument=json.dumps(doc_json)
        )["Policy"]["Arn"]
        iam.attach_role_policy(RoleName="team-a-role", PolicyArn=theirs)
        session.client("s3").delete_public_access_block(Bucket="team-a-data")
        session.client("s3").delete_bucket_policy(Bucket="ml-audit-logs-bp")
        session.client("cloudtrail").stop_logging(Name="ml-audit")
        smaller = _every_kind(session, full=False)
        calls = CallRecorder.attach(session)
        for prune in (False, True):
            plan = smaller.plan(session, prune=prune)
            assert plan.warnings == ()
            assert {c.key for c in plan.changes if c.orphan} == {
                "iam-policy/gone-policy", "iam-role/gone-role", "sso-permission-set/gone-ps",
                "sso-group-assignment/DataScientists:gone-ps",
                "cloudtrail-audit-trail/gone-audit",
            }, str(plan)
            assert not plan.is_empty
            role = next(c for c in plan.changes if c.key == "iam-role/team-a-role")
            # The detach of a policy the user attached shows in the plan, by ARN.
            assert f'  - "{theirs}"' in role.diff(), role.diff()
        assert calls.calls, "the plans must have read something"
        assert [c for c in calls.calls if not c.operation.startswith(READ_PREFIXES)] == []
        calls.clear()
        result = smaller.apply(session)
        assert result.kept, "the orphans are kept"
        deletes = [
            c.operation for c in calls.mutating
            if c.operation.startswith(("Delete", "Detach", "Remove", "Untag", "Stop"))
        ]
        # The only detach allowed is the drifted attachment on a role the blueprint owns.
        assert deletes == ["DetachRolePolicy"], deletes
        assert iam.get_role(RoleName="gone-role")
        assert iam.get_policy(PolicyArn=theirs), "detached, never deleted: not ours"
        assert session.client("cloudtrail").get_trail(Name="gone-audit")
