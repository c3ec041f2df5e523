"""Query Athena Workgroups and Manage AWS Glue Tables."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

import attrs

from secureml.activities._base import Activity, ActivityContext, Input
from secureml.activities._guardrails import (
    bucket_inputs,
    glue_database_inputs,
    kms_data_statements,
    workgroup_inputs,
)
from secureml.policy import Condition, Statement

__all__ = ["ManageGlueTables", "QueryAthenaWorkgroups"]

# The database SageMaker Feature Store registers offline-store tables in.
_FEATURE_STORE_DB = "sagemaker_featurestore"


@attrs.frozen
class QueryAthenaWorkgroups(Activity):
    """Start, stop and read Athena queries in the named workgroups, read the
    workgroups' settings, and list data catalogs, databases and tables.

    >>> QueryAthenaWorkgroups(workgroups=["primary"]).workgroups
    ('primary',)

    ``workgroups`` is required (here or as the persona's). A query also reads
    the Glue Data Catalog as its caller: the persona may read databases, tables
    and partitions of the persona's ``glue_databases`` (of every database in the
    account when it names none). The query's results go to the workgroup's
    output location, which should be in one of the persona's buckets: it may
    find their region (``s3:GetBucketLocation``), as Athena and awswrangler ask.
    Reading and writing the data itself is S3 Bucket Access.
    """

    name: ClassVar[str] = "Query Athena Workgroups"
    workflows: ClassVar[tuple[str, ...]] = ("athena-awswrangler",)
    requires: ClassVar[frozenset[Input]] = frozenset({"workgroups"})
    data_access: ClassVar[bool] = True

    workgroups: tuple[str, ...] = attrs.field(default=(), converter=workgroup_inputs)

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        groups = self.workgroups or ctx.workgroups
        yield Statement(
            actions=[
                "athena:GetQueryExecution",
                "athena:GetWorkGroup",
                "athena:GetQueryResults",
                "athena:StartQueryExecution",
                "athena:StopQueryExecution",
            ],
            resources=[ctx.arn("athena", f"workgroup/{g}") for g in groups],
        )
        yield Statement(
            actions=["athena:ListDatabases", "athena:ListTableMetadata"],
            resources=ctx.arn("athena", "datacatalog/*"),
        )
        yield Statement(actions="athena:ListDataCatalogs", resources="*")
        dbs = ctx.glue_databases or ("*",)
        databases = [ctx.arn("glue", "catalog"), *(ctx.arn("glue", f"database/{d}") for d in dbs)]
        yield Statement(actions=["glue:GetDatabase", "glue:GetDatabases"], resources=databases)
        yield Statement(
            actions=["glue:GetPartition", "glue:GetPartitions", "glue:GetTable", "glue:GetTables"],
            resources=[*databases, *(ctx.arn("glue", f"table/{d}/*") for d in dbs)],
        )
        if ctx.buckets:
            yield Statement(actions="s3:GetBucketLocation", resources=ctx.bucket_arns(ctx.buckets))


def _manage_glue_tables_buckets(value: Iterable[str] | str | None) -> tuple[str, ...]:
    return bucket_inputs(value, "ManageGlueTables.buckets")


@attrs.frozen
class ManageGlueTables(Activity):
    """Search tables in the named Glue databases; read and update tables there
    and in the Feature Store database (``sagemaker_featurestore``); read and
    write objects in the persona's buckets, read their ACLs and give the
    bucket owner full control of the objects written (``s3:PutObjectAcl`` with
    ``bucket-owner-full-control`` only), as the Feature Store offline store does.

    With an output KMS key it may use it through S3. ``glue_databases`` and
    ``buckets`` are required (here or as the persona's).
    """

    name: ClassVar[str] = "Manage AWS Glue Tables"
    workflows: ClassVar[tuple[str, ...]] = ("glue-tables", "feature-store-offline")
    requires: ClassVar[frozenset[Input]] = frozenset({"buckets", "glue_databases"})
    data_access: ClassVar[bool] = True

    glue_databases: tuple[str, ...] = attrs.field(default=(), converter=glue_database_inputs)
    buckets: tuple[str, ...] = attrs.field(default=(), converter=_manage_glue_tables_buckets)

    def statements(self, ctx: ActivityContext) -> Iterator[Statement]:
        dbs = self.glue_databases or ctx.glue_databases
        buckets = self.buckets or ctx.buckets
        catalog = ctx.arn("glue", "catalog")
        yield Statement(
            actions="glue:SearchTables",
            resources=[
                catalog,
                *(ctx.arn("glue", f"database/{d}") for d in dbs),
                *(ctx.arn("glue", f"table/{d}/*") for d in dbs),
            ],
        )
        table_dbs = (_FEATURE_STORE_DB, *dbs)
        yield Statement(
            actions=["glue:GetTable", "glue:UpdateTable"],
            resources=[
                catalog,
                *(ctx.arn("glue", f"database/{d}") for d in table_dbs),
                *(ctx.arn("glue", f"table/{d}/*") for d in table_dbs),
            ],
        )
        yield Statement(
            actions=["s3:GetObject", "s3:PutObject"], resources=ctx.object_arns(buckets)
        )
        # Role Manager put GetBucketAcl on object ARNs, where it never matches; it
        # belongs on the bucket. Its PutBucketAcl (bucket-owner-full-control) was
        # dead too: the offline store sets that ACL on each object it writes.
        yield Statement(actions="s3:GetBucketAcl", resources=ctx.bucket_arns(buckets))
        yield Statement(
            actions="s3:PutObjectAcl",
            resources=ctx.object_arns(buckets),
            conditions=[Condition("StringEquals", "s3:x-amz-acl", "bucket-owner-full-control")],
        )
        yield from kms_data_statements(ctx)
