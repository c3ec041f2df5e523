"""Turning a structured blueprint file into the Python API's objects.

Everything the Python API validates is validated here the same way (by
calling it); this module's job is to call it once per part of the file and to
say which part of the file a problem belongs to. Problems are collected, not
raised, so one run reports them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from secureml import activities as _act
from secureml import resources as res
from secureml._validation import check_session_duration
from secureml.activities import Activity
from secureml.blueprint_file._convert import Problem
from secureml.blueprint_file._spec import (
    ActivitySpec,
    BlueprintSpec,
    EncryptionSpec,
    GuardrailsSpec,
    NetworkSpec,
    PersonaSpec,
    ScopeSpec,
)
from secureml.blueprint_file._yaml import Path
from secureml.errors import Problem as ApiProblem
from secureml.errors import ValidationError
from secureml.personas import PERSONA_BUILDERS, Persona
from secureml.resources import Resource
from secureml.settings import EncryptionSettings, Guardrails, NetworkSettings, PrincipalTag, Scope

__all__ = ["Built", "build"]

T = TypeVar("T")

@attrs.frozen
class Built:
    """What a blueprint file describes, as Python API objects."""

    personas: dict[str, Persona]
    resources: list[Resource]
    paths: dict[str, Path]
    """Where in the file each resource (by key) was declared."""
    missing: tuple[Problem, ...] = ()
    """The problems that are a required value missing (a misspelt key's likely effect)."""


class _Collector:
    """Calls the Python API and files its ValidationErrors under a path."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.missing: list[Problem] = []

    def add(self, path: Path, message: str, at_key: bool = False, *, missing: bool = False) -> None:
        problem = Problem(path, message, at_key, missing=missing)
        self.problems.append(problem)
        if missing:
            self.missing.append(problem)

    def call(
        self,
        where: Path,
        fn: Callable[..., T],
        /,
        *args: Any,
        locate: Locate | None = None,
        **kwargs: Any,
    ) -> T | None:
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            for problem in exc.problems:
                path, message = locate(problem) if locate else (where, str(problem))
                self.add(path, message, missing=_is_missing(problem))
            return None


Locate = Callable[[ApiProblem], tuple[Path, str]]


def _is_missing(problem: ApiProblem) -> bool:
    """A required input that was not given (an activity's ``needs ...``)."""
    return problem.value is None and len(problem.path) == 3 and problem.path[0] == "activities"


def _locator(base: Path, fields: Mapping[str, Any]) -> Locate:
    """A function that files a Python API problem under the field of the file it
    concerns: the problem's path from its first part that is a field of the file
    here (``("encryption", "output_kms_key")`` is ``output_kms_key`` of an
    ``encryption:`` mapping), down to the item of a list; the field's name then
    leaves the message, which the path now says."""

    def locate(problem: ApiProblem) -> tuple[Path, str]:
        message = str(problem)
        for start, part in enumerate(problem.path):
            if isinstance(part, str) and part in fields:
                rel = problem.path[start:]
                break
        else:
            return base, message
        if len(rel) > 1 and isinstance(rel[1], int) and not isinstance(
            fields[str(rel[0])], (list, tuple)
        ):
            rel = rel[:1]
        return (*base, *rel), problem.detail

    return locate


def _network(c: _Collector, spec: NetworkSpec | None, path: Path) -> NetworkSettings | None:
    if spec is None:
        return None
    fields = attrs.asdict(spec)
    return c.call(
        path,
        NetworkSettings,
        subnets=spec.subnets,
        security_groups=spec.security_groups,
        locate=_locator(path, fields),
    )


def _encryption(
    c: _Collector, spec: EncryptionSpec | None, path: Path
) -> EncryptionSettings | None:
    if spec is None:
        return None
    return c.call(
        path,
        EncryptionSettings,
        volume_kms_key=spec.volume_kms_key,
        output_kms_key=spec.output_kms_key,
        locate=_locator(path, attrs.asdict(spec)),
    )


def _guardrails(c: _Collector, spec: GuardrailsSpec | None, path: Path) -> Guardrails | None:
    if spec is None:
        return None
    return c.call(
        path,
        Guardrails,
        network_isolation=spec.network_isolation,
        inter_container_traffic_encryption=spec.inter_container_traffic_encryption,
        instance_types=spec.instance_types,
        locate=_locator(path, attrs.asdict(spec)),
    )


def _scope(c: _Collector, spec: ScopeSpec | None, path: Path) -> Scope | None:
    if spec is None:
        return None
    clash = sorted(set(spec.tags) & set(spec.principal_tags))
    if clash:
        c.add((*path, "principal_tags"), f"tags {clash} are given in both tags and "
              "principal_tags; give each tag key once")
        return None
    tags: dict[str, str | PrincipalTag] = dict(spec.tags)
    for key, principal_key in spec.principal_tags.items():
        tag = c.call((*path, "principal_tags"), PrincipalTag, principal_key)
        if tag is None:
            return None
        tags[key] = tag
    return c.call(
        path, Scope, name_prefix=spec.name_prefix, tags=tags,
        locate=_locator(path, attrs.asdict(spec)),
    )


class _Builder:
    def __init__(self, spec: BlueprintSpec, raw: Mapping[str, Any]) -> None:
        self.spec = spec
        self.raw = raw
        self.c = _Collector()
        self.personas: dict[str, Persona] = {}
        self.resources: list[Resource] = []
        # Role and permission set names per persona name, for references.
        self.role_names: dict[str, str] = {}
        self.permission_set_names: dict[str, str] = {}
        self.duplicates: set[int] = set()
        self.paths: dict[str, Path] = {}
        self.identity_center: Any = None

    def add(self, path: Path, resource: Resource | None) -> None:
        """Keep a built resource and where in the file it came from."""
        if resource is not None:
            self.resources.append(resource)
            self.paths.setdefault(resource.key, path)

    # -- settings --------------------------------------------------------------------

    def settings(self) -> tuple[Any, Any, Any, Any]:
        s = self.spec.settings
        return (
            _network(self.c, s.network, ("settings", "network")),
            _encryption(self.c, s.encryption, ("settings", "encryption")),
            _guardrails(self.c, s.guardrails, ("settings", "guardrails")),
            _scope(self.c, s.scope, ("settings", "scope")),
        )

    # -- personas --------------------------------------------------------------------

    def names(self) -> None:
        seen: dict[str, int] = {}
        for i, p in enumerate(self.spec.personas):
            if p.name in seen:
                self.c.add(
                    ("personas", i, "name"),
                    f"duplicate persona name {p.name!r} (also personas[{seen[p.name]}]); "
                    "each persona needs its own name",
                )
                self.duplicates.add(i)
                continue
            seen[p.name] = i
            # A role with a path is passed by its path and name: its ARN has both.
            role = p.role
            self.role_names[p.name] = (
                "" if role is None
                else (role.name or p.name) if role.path == "/"
                else f"{role.path}{role.name or p.name}"
            )
            if p.permission_set is not None:
                self.permission_set_names[p.name] = p.permission_set.name or p.name

    def activities(self, i: int, p: PersonaSpec) -> tuple[Activity, ...] | None:
        base: Path = ("personas", i)
        ok = True
        if p.activities is not None:
            acts: list[Activity] = []
            for j, a in enumerate(p.activities):
                built = self.activity(a, (*base, "activities", j))
                ok = ok and built is not None
                if built is not None:
                    acts.append(built)
        else:
            acts = [cls() for cls in PERSONA_BUILDERS[p.kind].defaults]
        for j, name in enumerate(p.remove_activities):
            path = (*base, "remove_activities", j)
            try:
                cls = _act.by_name(name)
            except ValidationError as exc:
                self.c.add(path, str(exc.problems[0]))
                ok = False
                continue
            if not any(type(a) is cls for a in acts):
                have = ", ".join(a.name for a in acts)
                self.c.add(
                    path,
                    f"persona {p.name!r} has no activity {cls.name!r} to remove; it has: {have}",
                )
                ok = False
            acts = [a for a in acts if type(a) is not cls]
        for j, a in enumerate(p.add_activities):
            built = self.activity(a, (*base, "add_activities", j))
            if built is None:
                ok = False
                continue
            acts = [x for x in acts if type(x) is not type(built)] + [built]
        return tuple(acts) if ok else None

    def resolve_roles(self, refs: Sequence[str], path: Path) -> list[str] | None:
        """Role names or ARNs for ``pass_roles`` entries (persona names or ARNs)."""
        out: list[str] = []
        ok = True
        for j, ref in enumerate(refs):
            if ref.startswith("arn:"):
                out.append(ref)
            elif ref not in self.role_names:
                known = ", ".join(sorted(self.role_names)) or "none"
                self.c.add(
                    (*path, j),
                    f"unknown persona {ref!r}: pass_roles takes names of personas in this file "
                    f"(here: {known}) or role ARNs (arn:aws:iam::ACCOUNT:role/NAME) for roles "
                    "outside this blueprint",
                )
                ok = False
            elif not self.role_names[ref]:
                self.c.add(
                    (*path, j),
                    f"persona {ref!r} is not deployed as a role by this file (add `role: {{}}` "
                    "to it), so it cannot be passed; or give the ARN of an existing role",
                )
                ok = False
            else:
                out.append(self.role_names[ref])
        return out if ok else None

    def activity(self, spec: ActivitySpec, path: Path) -> Activity | None:
        inputs = dict(spec.inputs)
        if "pass_roles" in inputs:
            roles = self.resolve_roles(inputs["pass_roles"], (*path, "pass_roles"))
            if roles is None:
                return None
            inputs["pass_roles"] = tuple(roles)
        cls = _act.by_name(spec.activity)
        return self.c.call(path, cls, **inputs, locate=_locator(path, dict(spec.inputs)))

    def guardrails(
        self, i: int, p: PersonaSpec, defaults: tuple[Any, Any, Any, Any]
    ) -> tuple[Any, Any, Any, Any] | None:
        """The persona's settings: its own where it gives the key (null: none), else the
        file's settings; ``None`` when one of its own is invalid."""
        base: Path = ("personas", i)
        raw = self.raw["personas"][i]
        network, encryption, guardrails, scope = defaults
        ok = True
        if "network" in raw:
            network = _network(self.c, p.network, (*base, "network"))
            ok = ok and (network is not None or p.network is None)
        if "encryption" in raw:
            encryption = _encryption(self.c, p.encryption, (*base, "encryption"))
            ok = ok and (encryption is not None or p.encryption is None)
        if "guardrails" in raw:
            guardrails = _guardrails(self.c, p.guardrails, (*base, "guardrails"))
            ok = ok and (guardrails is not None or p.guardrails is None)
        if "scope" in raw:
            scope = _scope(self.c, p.scope, (*base, "scope"))
            ok = ok and (scope is not None or p.scope is None)
        return (network, encryption, guardrails, scope) if ok else None

    def persona(self, i: int, p: PersonaSpec, defaults: tuple[Any, Any, Any, Any]) -> None:
        base: Path = ("personas", i)
        ok = True
        kind = PERSONA_BUILDERS[p.kind]
        for field, why in kind.refused.items():
            if getattr(p, field):
                self.c.add((*base, field), f"kind {p.kind}: {why}", True)
                ok = False
        settings = self.guardrails(i, p, defaults)
        acts = self.activities(i, p)
        pass_roles = self.resolve_roles(p.pass_roles, (*base, "pass_roles"))
        if not ok or settings is None or acts is None or pass_roles is None:
            self.deployment_inputs(i, p)
            return
        network, encryption, guardrails, scope = settings
        kwargs: dict[str, Any] = {
            "activities": acts,
            "network": network,
            "encryption": encryption,
            "guardrails": guardrails,
            "scope": scope,
            "managed_policies": p.managed_policies,
            "permissions_boundary": p.permissions_boundary,
            "tags": p.tags,
            "description": p.description,
        }
        if p.max_session_duration is not None:
            kwargs["max_session_duration"] = p.max_session_duration
        if "pass_roles" not in kind.refused:
            kwargs["pass_roles"] = pass_roles
        kwargs.update({field: getattr(p, field) for field in kind.inputs})
        locate = _locator(base, attrs.asdict(p, recurse=False))

        def locate_activity(problem: ApiProblem) -> tuple[Path, str]:
            # Missing inputs belong to the added activity that needs them, if any.
            if _is_missing(problem) and isinstance(problem.path[1], int):
                name = acts[problem.path[1]].name
                for j, a in enumerate(p.add_activities):
                    if a.activity == name:
                        return (*base, "add_activities", j), str(problem)
            if problem.path[:1] == ("activities",):
                return base, str(problem)
            return locate(problem)

        persona = self.c.call(
            base, kind.builder, p.name, locate=locate_activity, **kwargs
        )
        if persona is None:
            self.deployment_inputs(i, p)
            return
        # Personas of this file among pass_roles, for lint to follow (SM044).
        passed = [self.personas[r] for r in p.pass_roles if r in self.personas]
        if passed:
            persona = attrs.evolve(persona, role_personas=passed)
        self.personas[p.name] = persona
        self.deployments(i, p, persona)

    def deployment_inputs(self, i: int, p: PersonaSpec) -> None:
        """What can be checked of the role and permission set of a persona that could
        not be built, so one run still reports their mistakes."""
        if p.permission_set is not None:
            path: Path = ("personas", i, "permission_set", "session_duration")
            try:
                check_session_duration(p.permission_set.session_duration, "session_duration")
            except ValidationError as exc:
                for problem in exc.problems:
                    self.c.add(path, problem.detail)

    def deployments(self, i: int, p: PersonaSpec, persona: Persona) -> None:
        """The persona's role and permission set, when the file asks for them."""
        base: Path = ("personas", i)
        if p.role is not None:
            role_path = (*base, "role")
            role = self.c.call(
                role_path,
                persona.role,
                name=p.role.name,
                path=p.role.path,
                adopt=p.role.adopt,
                locate=_locator(role_path, attrs.asdict(p.role)),
            )
            self.add(role_path, role)
        if p.permission_set is not None:
            ps_path = (*base, "permission_set")
            ps = p.permission_set
            extra: dict[str, Any] = {"adopt": ps.adopt}
            if ps.description is not None:
                extra["description"] = ps.description
            if ps.relay_state is not None:
                extra["relay_state"] = ps.relay_state
            if ps.permissions_boundary is not None:
                extra["permissions_boundary"] = ps.permissions_boundary
            extra["managed_policies"] = ps.managed_policies
            extra["customer_managed_policies"] = ps.customer_managed_policies
            extra["tags"] = ps.tags
            if self.identity_center is not None:
                extra["identity_center"] = self.identity_center
            if self.spec.region is not None:
                extra["region"] = self.spec.region
            built = self.c.call(
                ps_path,
                persona.permission_set,
                name=ps.name,
                session_duration=ps.session_duration,
                locate=_locator(ps_path, attrs.asdict(ps)),
                **extra,
            )
            self.add(ps_path, built)

    # -- assignments, public access, audit -------------------------------------------

    def assignments(self) -> None:
        by_name = {v: v for v in self.permission_set_names.values()}
        for persona, ps_name in self.permission_set_names.items():
            by_name.setdefault(persona, ps_name)
        for i, a in enumerate(self.spec.assignments):
            base: Path = ("assignments", i)
            if (a.group is None) == (a.user is None):
                self.c.add(
                    base,
                    "an assignment names exactly one of group (a group's display name) or "
                    f"user (a user name); got {'both' if a.group else 'neither'}",
                )
                continue
            # Both checks run, so one run reports both mistakes of an assignment.
            usable = True
            if not a.accounts and not a.organizational_units:
                self.c.add(
                    base,
                    "an assignment needs accounts (12-digit ids) or organizational_units "
                    "(ou-... or r-...), or both",
                    missing=True,
                )
                usable = False
            if a.permission_set not in by_name:
                known = ", ".join(sorted(set(by_name.values()))) or "none"
                self.c.add(
                    (*base, "permission_set"),
                    f"unknown permission set {a.permission_set!r}: name a persona of this file "
                    f"that has `permission_set:` (here: {known})",
                )
                usable = False
            if not usable:
                continue
            kwargs: dict[str, Any] = {
                "permission_set": by_name[a.permission_set],
                "accounts": a.accounts,
                "organizational_units": a.organizational_units,
                "locate": _locator(base, attrs.asdict(a)),
            }
            if self.identity_center is not None:
                kwargs["identity_center"] = self.identity_center
            if a.group is not None:
                built: Resource | None = self.c.call(
                    base, res.GroupAssignment, group=a.group, **kwargs
                )
            else:
                built = self.c.call(base, res.UserAssignment, user=a.user, **kwargs)
            self.add(base, built)

    def access_control_attributes(self) -> None:
        spec = self.spec.access_control_attributes
        if spec is None:
            return
        path: Path = ("access_control_attributes",)
        kwargs: dict[str, Any] = {"adopt": spec.adopt}
        if self.identity_center is not None:
            kwargs["identity_center"] = self.identity_center
        built = self.c.call(path, res.AccessControlAttributes, spec.attributes,
                            locate=_locator(path, attrs.asdict(spec)), **kwargs)
        self.add(path, built)

    def public_access_block(self) -> None:
        spec = self.spec.public_access_block
        if spec is None:
            return
        path: Path = ("public_access_block",)
        settings: dict[str, Any] = {
            "block_public_acls": spec.block_public_acls,
            "ignore_public_acls": spec.ignore_public_acls,
            "block_public_policy": spec.block_public_policy,
            "restrict_public_buckets": spec.restrict_public_buckets,
        }
        buckets = set(spec.buckets)
        if spec.persona_buckets:
            buckets.update(b for p in self.personas.values() for b in p.buckets)
        own: dict[str, tuple[Path, dict[str, Any]]] = {}
        for index, entry in enumerate(spec.bucket_settings):
            given = {k: getattr(entry, k) for k in settings if getattr(entry, k) is not None}
            own[entry.bucket] = ((*path, "bucket_settings", index), {**settings, **given})

        def locate(problem: ApiProblem) -> tuple[Path, str]:
            # A bad bucket name: the bucket's place in the file.
            if problem.path[-1:] == ("bucket",) and problem.value in own:
                return (*own[problem.value][0], "bucket"), problem.detail
            if problem.path[-1:] == ("bucket",) and problem.value in spec.buckets:
                return (*path, "buckets", spec.buckets.index(problem.value)), problem.detail
            return path, str(problem)

        for bucket in sorted(buckets | set(own)):
            where, chosen = own.get(bucket, (path, settings))
            self.add(
                where,
                self.c.call(where, res.BucketPublicAccessBlock, bucket, locate=locate, **chosen),
            )
        if spec.account:
            self.add(path, self.c.call(path, res.AccountPublicAccessBlock, **settings))

    def audit_trail(self) -> None:
        spec = self.spec.audit_trail
        if spec is None:
            return
        path: Path = ("audit_trail",)
        data_buckets: list[Any] = list(spec.data_event_buckets)
        if spec.persona_bucket_data_events:
            data_buckets.extend(self.personas.values())
        kwargs: dict[str, Any] = {
            "bucket": spec.bucket,
            "kms_key_arn": spec.kms_key_arn,
            "data_event_buckets": data_buckets,
            "sagemaker_data_events": spec.sagemaker_data_events,
            "tags": spec.tags,
            "adopt": spec.adopt,
        }
        if spec.lifecycle is not None:
            lc = spec.lifecycle
            kwargs["lifecycle"] = self.c.call(
                (*path, "lifecycle"), res.Lifecycle, lc.expiration_days, lc.transition_days,
                lc.storage_class, locate=_locator((*path, "lifecycle"), attrs.asdict(lc)),
            )
        if spec.object_lock is not None:
            ol = spec.object_lock
            kwargs["object_lock"] = self.c.call(
                (*path, "object_lock"), res.ObjectLock, ol.days, ol.mode,
                locate=_locator((*path, "object_lock"), attrs.asdict(ol)),
            )
        if (spec.lifecycle and kwargs["lifecycle"] is None) or (
            spec.object_lock and kwargs["object_lock"] is None
        ):
            return
        self.add(
            path,
            self.c.call(
                path, res.AuditTrail, spec.name, locate=_locator(path, attrs.asdict(spec)),
                **kwargs,
            ),
        )

    def run(self) -> Built:
        ic = self.spec.identity_center
        if ic is not None:
            self.identity_center = self.c.call(
                ("identity_center",), res.IdentityCenter, ic.instance_arn, ic.identity_store_id,
                ic.region, locate=_locator(("identity_center",), attrs.asdict(ic)),
            )
        defaults = self.settings()
        self.names()
        for i, p in enumerate(self.spec.personas):
            if i not in self.duplicates:
                self.persona(i, p, defaults)
        self.assignments()
        self.access_control_attributes()
        self.public_access_block()
        self.audit_trail()
        return Built(
            personas=self.personas,
            resources=self.resources,
            paths=self.paths,
            missing=tuple(self.c.missing),
        )


def build(spec: BlueprintSpec, raw: Mapping[str, Any]) -> tuple[Built, list[Problem]]:
    """The personas and resources ``spec`` describes, and every problem found.

    ``raw`` is the parsed document, used to tell a key given as ``null`` (no
    network for this persona) from a key not given (the settings' network).
    """
    builder = _Builder(spec, raw)
    built = builder.run()
    return built, builder.c.problems
