"""``to_cloudformation``: a blueprint as CloudFormation templates for many accounts."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from secureml.errors import ValidationError
from secureml.export._cfn import (
    MAX_RESOURCES_PER_STACK,
    LogicalIds,
    Template,
    template_body,
)
from secureml.export._management import (
    Resolver,
    identity_center_stacks,
    organization_resources,
)
from secureml.export._member import member_resources
from secureml.export._render import render_states
from secureml.resources import (
    AccountPublicAccessBlock,
    BucketPublicAccessBlock,
    IdentityCenter,
    PermissionSet,
)

if TYPE_CHECKING:
    from secureml.aws import SessionLike
    from secureml.engine import Blueprint

__all__ = ["CloudFormationExport", "to_cloudformation"]

log = logging.getLogger("secureml.export")

_OU = r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$"


@attrs.frozen
class CloudFormationExport:
    """A blueprint exported as CloudFormation templates, in deployment order.

    - ``member``: the StackSet template for every workload account (roles, their
      policies, the audit trail); deploy it first;
    - ``identity-center`` (and ``identity-center-2``... when the assignments need
      more than one stack): stacks in the management or delegated-administrator
      account, after the StackSet (permission sets that reference customer managed
      policies need them in every assigned account);
    - ``organization``: the Organizations S3 policy for account-level Block Public
      Access, in the management account.

    ``notes`` says what was not exported, and why, and which templates need an S3
    upload.
    """

    blueprint: str
    templates: tuple[Template, ...]
    notes: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Template:
        for t in self.templates:
            if t.name == name:
                return t
        raise KeyError(f"no template {name!r}; there are {[t.name for t in self.templates]}")

    def names(self) -> list[str]:
        """The templates' names, in deployment order."""
        return [t.name for t in self.templates]

    @property
    def member(self) -> Template | None:
        """The member (StackSet) template, if the blueprint has anything for members."""
        return next((t for t in self.templates if t.name == "member"), None)

    @property
    def identity_center(self) -> tuple[Template, ...]:
        """The Identity Center templates, first (permission sets) first."""
        return tuple(t for t in self.templates if t.name.startswith("identity-center"))

    def write(self, directory: str | Path) -> list[Path]:
        """Write ``NAME.template.json`` per template and ``manifest.json`` (order, stack
        names, targets, sizes, notes) into ``directory``; return the paths written."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for t in self.templates:
            path = out / f"{t.name}.template.json"
            path.write_text(t.text, encoding="utf-8")
            written.append(path)
        manifest = {
            "blueprint": self.blueprint,
            "order": [
                {"template": f"{t.name}.template.json", "stack": t.stack, "deploy_to": t.target,
                 "bytes": t.size, "resources": t.resource_count,
                 "needs_s3_upload": t.needs_upload}
                for t in self.templates
            ],
            "notes": list(self.notes),
        }
        path = out / "manifest.json"
        path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        written.append(path)
        return written


def stack_names(blueprint: str) -> dict[str, str]:
    """The StackSet and stack names ``deploy`` uses for a blueprint (letters, digits and
    ``-`` only, as CloudFormation requires: ``.`` and ``_`` become ``-``).

    >>> stack_names("ml_platform.v2")["member"]
    'secureml-ml-platform-v2'
    """
    safe = re.sub(r"[^A-Za-z0-9-]", "-", blueprint)
    return {
        "member": f"secureml-{safe}",
        "identity-center": f"secureml-{safe}-identity-center",
        "organization": f"secureml-{safe}-organization",
    }


def to_cloudformation(
    blueprint: Blueprint,
    *,
    session: SessionLike = None,
    resolve: bool = False,
    regions: Iterable[str] | None = None,
    targets: Sequence[str] = (),
    partition: str = "aws",
    max_resources: int = MAX_RESOURCES_PER_STACK,
) -> CloudFormationExport:
    """Export ``blueprint`` as CloudFormation templates (see :class:`CloudFormationExport`).

    The values are the resources' own desired states, as ``apply()`` computes
    them, with ``${AWS::AccountId}``, ``${AWS::Region}`` and ``${AWS::Partition}``
    for what differs per account. Policies are packed for the longest of
    ``regions`` (default: the blueprint's region, else the longest region name).

    With ``resolve=True`` the ``session`` looks up the Identity Center instance,
    group and user ids, and the accounts of organizational units; without it they
    become template parameters (organizational units in assignments then need
    ``resolve``). ``targets`` (OU ids) fill the organization template's S3 policy
    targets, else a parameter. ``max_resources`` is CloudFormation's 500 (smaller
    values are for tests).

    Raises :class:`~secureml.errors.ValidationError` for what cannot be exported
    (a template over 500 resources or 1 MB, an audit bucket with one fixed name,
    account Block Public Access with settings off).
    """
    for target in targets:
        if not re.match(_OU, target):
            raise ValidationError(
                f"targets: {target!r} is not an organizational unit id (ou-ab12-cd34ef56) or root "
                "id (r-ab12)"
            )
    regions = list(regions) if regions is not None else (
        [blueprint.region] if blueprint.region else None
    )
    resources = list(blueprint.resources)
    states, tokens = render_states(
        blueprint.name, resources, regions=regions, partition=partition
    )
    names = stack_names(blueprint.name)
    notes: list[str] = []
    templates: list[Template] = []

    member = member_resources(blueprint.name, resources, states, tokens, LogicalIds())
    if member:
        templates.append(Template(
            "member", names["member"],
            "every account of the target OUs (service-managed StackSet, one region)",
            template_body(
                f"secureml blueprint {blueprint.name}: persona roles, their policies and the "
                "audit trail, for every workload account", member,
                metadata={"secureml": {"blueprint": blueprint.name, "template": "member"}},
            ),
        ))

    ic_config = next(
        (r.identity_center for r in resources if isinstance(r, PermissionSet)),
        IdentityCenter(),
    )
    ctx = blueprint.context(session) if resolve else None
    if ctx is not None and ic_config.region:
        ctx = ctx.for_region(ic_config.region)
    resolver = Resolver(ctx, ic_config.instance_arn)
    stacks = identity_center_stacks(
        resources, states, tokens, resolver, first_stack=names["identity-center"],
        max_resources=max_resources,
    )
    for i, (res, params, outputs) in enumerate(stacks, start=1):
        suffix = "" if i == 1 else f"-{i}"
        templates.append(Template(
            f"identity-center{suffix}", names["identity-center"] + suffix,
            "the Identity Center management or delegated-administrator account, after the "
            "member StackSet",
            template_body(
                f"secureml blueprint {blueprint.name}: IAM Identity Center permission sets "
                f"and account assignments (part {i} of {len(stacks)})", res,
                parameters=params, outputs=outputs,
                metadata={"secureml": {"blueprint": blueprint.name,
                                       "template": f"identity-center{suffix}"}},
            ),
            region=ic_config.region,
        ))
    if len(stacks) > 1:
        notes.append(
            f"the account assignments need {len(stacks)} Identity Center stacks of at most "
            f"{max_resources} resources; deploy identity-center first (it exports the "
            "permission set ARNs the others import)"
        )

    org, org_params = organization_resources(blueprint.name, resources, states, targets)
    if org:
        templates.append(Template(
            "organization", names["organization"], "the management account (Organizations)",
            template_body(
                f"secureml blueprint {blueprint.name}: S3 Block Public Access for every "
                "account of the target OUs, as an AWS Organizations S3 policy", org,
                parameters=org_params,
                metadata={"secureml": {"blueprint": blueprint.name, "template": "organization"}},
            ),
        ))
        notes.append(
            "account-level S3 Block Public Access has no CloudFormation resource type: it is "
            "exported as an AWS Organizations S3 policy (AWS::Organizations::Policy, type "
            "S3_POLICY) attached to the target OUs (organization template). Enable the S3 "
            "policy type on the organization root first (organizations enable-policy-type "
            "--policy-type S3_POLICY)"
        )
    buckets = [r.name for r in resources if isinstance(r, BucketPublicAccessBlock)]
    if buckets:
        notes.append(
            "not exported: Block Public Access on the existing buckets "
            f"{', '.join(sorted(buckets))}. CloudFormation sets it only on a bucket the stack "
            "creates (AWS::S3::Bucket), and these data buckets are not created by secureml. "
            "The organization's S3 policy covers every bucket of the target accounts; "
            "otherwise keep apply() for them in their account"
            + ("" if any(isinstance(r, AccountPublicAccessBlock) for r in resources)
               else " (add account-level Block Public Access to the blueprint to export it)")
        )
    for t in templates:
        notes.extend(t.check())
    for note in notes:
        log.info("export of %s: %s", blueprint.name, note)
    return CloudFormationExport(blueprint.name, tuple(templates), tuple(notes))
