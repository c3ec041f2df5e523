"""Settings for the SageMaker Python SDK that a persona's guard-rails allow.

A persona with network, encryption or guard-rail settings only allows
SageMaker requests that carry exactly those values (its policy's conditions
deny the rest). :func:`job_settings` gives the keyword arguments of the
SageMaker Python SDK's estimators, processors and models that satisfy them, so
a notebook never meets an ``AccessDenied`` for a missing subnet or key:

>>> import secureml as sm
>>> from secureml.integrations.sagemaker import job_settings
>>> net = sm.NetworkSettings(subnets=["subnet-0abc1234"], security_groups=["sg-0abc1234"])
>>> ds = sm.DataScientist("team-a-ds", buckets=["team-a-data"],
...                       pass_roles=["team-a-compute"], network=net)
>>> kwargs = job_settings(ds, role="team-a-compute", account_id="111122223333")
>>> kwargs["role"], kwargs["subnets"], kwargs["security_group_ids"]
('arn:aws:iam::111122223333:role/team-a-compute', ['subnet-0abc1234'], ['sg-0abc1234'])

Then ``sagemaker.estimator.Estimator(image_uri=..., instance_type=...,
**kwargs)``. This module never imports the ``sagemaker`` package (it is 1 GB
and slow to import): it returns plain values, so it works without the
``sagemaker`` extra installed too.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from secureml._validation import check_account_id
from secureml.errors import ValidationError
from secureml.personas import Persona

__all__ = ["check_instance_type", "job_settings"]


def _role_arn(role: Persona | str, account_id: str | None, partition: str) -> str:
    name = role.name if isinstance(role, Persona) else role
    if name.startswith("arn:"):
        return name
    if account_id is None:
        raise ValidationError(
            f"role: {name!r} is a role name; give account_id (12 digits) to make its ARN, "
            "or give the role ARN"
        )
    return f"arn:{partition}:iam::{check_account_id(account_id)}:role/{name}"


def job_settings(
    caller: Persona,
    *,
    role: Persona | str,
    account_id: str | None = None,
    partition: str = "aws",
) -> dict[str, Any]:
    """Keyword arguments for SageMaker Python SDK estimators, processors and
    models that ``caller``'s guard-rails allow, running as ``role``.

    ``caller`` is the persona making the requests (a Data Scientist or MLOps
    persona); ``role`` is the execution role the job runs as (a Compute
    persona, a role name or a role ARN), which ``caller`` must be allowed to
    pass. Keys are only present for settings the persona has: ``role``,
    ``subnets``, ``security_group_ids``, ``volume_kms_key``,
    ``output_kms_key``, ``enable_network_isolation``,
    ``encrypt_inter_container_traffic``.

    Raises :class:`~secureml.errors.ValidationError` when ``caller`` may not
    pass ``role``.
    """
    arn = _role_arn(role, account_id, partition)
    # pass_roles holds names (passable in this account) and ARNs.
    if arn not in caller.pass_roles and arn.rsplit("/", 1)[-1] not in caller.pass_roles:
        raise ValidationError(
            f"role: persona {caller.name!r} may not pass {arn!r}; it may pass "
            f"{sorted(caller.pass_roles) or 'no role'} (its pass_roles)"
        )
    settings: dict[str, Any] = {"role": arn}
    if caller.network is not None:
        settings["subnets"] = list(caller.network.subnets)
        settings["security_group_ids"] = list(caller.network.security_groups)
    if caller.encryption is not None:
        if caller.encryption.volume_kms_key:
            settings["volume_kms_key"] = caller.encryption.volume_kms_key
        if caller.encryption.output_kms_key:
            settings["output_kms_key"] = caller.encryption.output_kms_key
    rails = caller.guardrails
    if rails is not None:
        if rails.network_isolation:
            settings["enable_network_isolation"] = True
        if rails.inter_container_traffic_encryption:
            settings["encrypt_inter_container_traffic"] = True
    return settings


def check_instance_type(caller: Persona, instance_type: str) -> str:
    """``instance_type`` if ``caller``'s guard-rails allow it, else a
    :class:`~secureml.errors.ValidationError` listing the allowed patterns.

    >>> import secureml as sm
    >>> p = sm.MLOps("ops", pass_roles=["c"],
    ...              guardrails=sm.Guardrails(instance_types=["ml.m5.*"]))
    >>> check_instance_type(p, "ml.m5.xlarge")
    'ml.m5.xlarge'
    """
    allowed = caller.guardrails.instance_types if caller.guardrails else ()
    if allowed and not any(fnmatch.fnmatchcase(instance_type, p) for p in allowed):
        raise ValidationError(
            f"instance_type: {instance_type!r} is not allowed for persona {caller.name!r}; "
            f"allowed are {list(allowed)}"
        )
    return instance_type
