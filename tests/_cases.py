"""Personas and settings shared by the policy tests (catalogue, parity, golden)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import secureml as sm
from secureml import activities as act

ACCOUNT = "111122223333"
REGION = "us-east-1"

NETWORK = sm.NetworkSettings(
    subnets=["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
    security_groups=["sg-0a1b2c3d4e5f60718"],
)
ENCRYPTION = sm.EncryptionSettings(
    volume_kms_key=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    output_kms_key=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/5678efgh-56ef-78ab-90cd-0987654321fe",
)
GUARDRAILS = sm.Guardrails(
    network_isolation=True,
    inter_container_traffic_encryption=True,
    instance_types=["ml.m5.*", "ml.g5.xlarge"],
)
# Each encryption variant on its own too: one key must not bring the other's conditions.
ENCRYPTIONS: tuple[sm.EncryptionSettings | None, ...] = (
    None,
    ENCRYPTION,
    sm.EncryptionSettings(volume_kms_key=ENCRYPTION.volume_kms_key),
    sm.EncryptionSettings(output_kms_key=ENCRYPTION.output_kms_key),
)


def default_personas(
    network: sm.NetworkSettings | None = None, encryption: sm.EncryptionSettings | None = None
) -> tuple[sm.Persona, ...]:
    """The three personas with Role Manager's default activities, as in the design."""
    compute = sm.Compute(
        "team-a-compute",
        buckets=["team-a-data"],
        ecr_repositories=["team-a/*"],
        network=network,
        encryption=encryption,
    )
    ds = sm.DataScientist(
        "team-a-ds",
        buckets=["team-a-data"],
        pass_roles=[compute],
        network=network,
        encryption=encryption,
    )
    mlops = sm.MLOps("team-a-mlops", pass_roles=[compute], network=network, encryption=encryption)
    return ds, mlops, compute


_PASSING = (
    act.ManageMLJobs,
    act.ManageModels,
    act.ManagePipelines,
    act.ManageModelMonitoring,
    act.RunPipelineSteps,
)


def every_activity(kind: str) -> tuple[act.Activity, ...]:
    """Every baseline activity a persona of ``kind`` may have, with inputs.

    A Compute persona has no ``pass_roles`` of its own (a pipeline's role
    passes itself to the jobs it starts), so its activities name the role.
    """
    acts: list[act.Activity] = []
    for cls in act.ALL:
        if kind == "MLOps" and (cls.data_access or cls is act.ServeModels):
            continue  # no S3 data, nor model artifacts (the Inference role reads those)
        if kind == "Compute" and cls in _PASSING:
            acts.append(cls(pass_roles=["team-a-compute"]))
        elif cls is act.QueryAthenaWorkgroups:
            acts.append(act.QueryAthenaWorkgroups(workgroups=["primary", "team-a"]))
        elif cls is act.ManageGlueTables:
            acts.append(act.ManageGlueTables(glue_databases=["team_a"]))
        else:
            acts.append(cls())
    return tuple(acts)


def full_personas(
    network: sm.NetworkSettings | None = None,
    encryption: sm.EncryptionSettings | None = None,
    guardrails: sm.Guardrails | None = None,
) -> tuple[sm.Persona, ...]:
    """The three personas with every activity they may have."""
    settings: dict[str, Any] = {
        "network": network, "encryption": encryption, "guardrails": guardrails,
    }
    return (
        sm.DataScientist(
            "team-a-ds",
            buckets=["team-a-data", "team-a-models"],
            pass_roles=["team-a-compute", f"arn:aws:iam::{ACCOUNT}:role/ml/team-a-pipelines"],
            activities=every_activity("DataScientist"),
            **settings,
        ),
        sm.MLOps(
            "team-a-mlops",
            pass_roles=["team-a-compute"],
            activities=every_activity("MLOps"),
            **settings,
        ),
        sm.Compute(
            "team-a-compute",
            buckets=["team-a-data"],
            ecr_repositories=["team-a/*", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/shared"],
            activities=every_activity("Compute"),
            **settings,
        ),
    )


def settings_combinations() -> Iterator[tuple[str, dict[str, object]]]:
    """Every combination of network, encryption and guard-rails, with an id."""
    for net, enc, rails in itertools.product(
        (None, NETWORK), range(len(ENCRYPTIONS)), (None, GUARDRAILS)
    ):
        ident = f"net={'y' if net else 'n'}-kms={enc}-rails={'y' if rails else 'n'}"
        yield ident, {"network": net, "encryption": ENCRYPTIONS[enc], "guardrails": rails}
