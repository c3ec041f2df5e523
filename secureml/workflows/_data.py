"""Workflows around data and Studio: JupyterLab and Code Editor in a private
space, Athena through awswrangler, Glue tables, Feature Store's offline store,
the SDK's default bucket, and the Compute role inside a job."""

from __future__ import annotations

from collections.abc import Iterator

from secureml.workflows._model import Request, Workflow, WorkflowSettings, context_for
from secureml.workflows._steps import create, get_object, put_object, sm

__all__ = [
    "athena_awswrangler",
    "compute_default_bucket",
    "compute_job_runtime",
    "default_bucket",
    "feature_store_offline",
    "glue_tables",
    "s3_data",
    "studio_app",
]


def studio_app(app_type: str, slug: str, title: str):  # type: ignore[no-untyped-def]
    """A builder of the Studio workflow that opens ``app_type`` in a private space."""

    def build(s: WorkflowSettings) -> Workflow:
        space = f"{s.user_profile}-{slug}"
        profile_arn = s.sm(f"user-profile/{s.domain_id}/{s.user_profile}")
        domain_tag = {"sagemaker:domain-arn": s.sm(f"domain/{s.domain_id}")}
        space_keys: dict[str, object] = {
            "sagemaker:SpaceSharingType": "Private",
            "sagemaker:OwnerUserProfileArn": profile_arn,
        }
        app_keys = {**space_keys, "sagemaker:InstanceTypes": (s.studio_instance_type,)}
        app = f"app/{s.domain_id}/{space}/{app_type.lower()}/default"

        # Studio makes its calls with the user's execution role and sets the
        # domain and user profile on them: policies name the caller's own profile
        # as ${sagemaker:DomainId}/${sagemaker:UserProfileName} (AWS's Studio admin
        # guide), so the requests carry them.
        session = {
            "sagemaker__DomainId": s.domain_id, "sagemaker__UserProfileName": s.user_profile,
        }

        def reqs() -> Iterator[Request]:
            for req in _reqs():
                yield req.with_context(**session)

        def _reqs() -> Iterator[Request]:
            yield sm(s, "DescribeDomain", f"domain/{s.domain_id}", "Studio: open the domain")
            yield sm(s, "DescribeUserProfile", f"user-profile/{s.domain_id}/{s.user_profile}",
                     "Studio: read the user profile")
            yield sm(s, "ListSpaces", "*", "Studio: list spaces")
            yield from create(s, "CreateSpace", f"space/{s.domain_id}/{space}",
                              "Studio: create a private space", space_keys,  # type: ignore[arg-type]
                              tags=domain_tag)
            yield sm(s, "DescribeSpace", f"space/{s.domain_id}/{space}", "Studio: open the space")
            yield sm(s, "UpdateSpace", f"space/{s.domain_id}/{space}",
                     "Studio: change the space's instance type",
                     **{k.replace(":", "__"): v for k, v in app_keys.items()})  # type: ignore[arg-type]
            yield from create(s, "CreateApp", app, f"Studio: start {title}", app_keys,  # type: ignore[arg-type]
                              tags=domain_tag)
            yield sm(s, "DescribeApp", app, f"Studio: wait for {title}")
            yield sm(s, "ListApps", "*", "Studio: list apps")
            yield sm(s, "DeleteApp", app, f"Studio: stop {title}",
                     **{k.replace(":", "__"): v for k, v in space_keys.items()})  # type: ignore[arg-type]

        return Workflow(f"studio-{slug}", f"Open {title} in a private Studio space", reqs())

    return build


def default_bucket(s: WorkflowSettings) -> Workflow:
    """``sagemaker.Session().default_bucket()`` and ``upload_data()``/``download_data()``."""
    b = s.default_bucket
    return Workflow(
        "sdk-default-bucket",
        f"Use the SDK's default bucket {b} (upload_data, download_data)",
        (
            Request("s3:ListBucket", s.s3(b), call="Session.default_bucket(): HeadBucket"),
            *put_object(s, b, "data/train.csv", "Session.upload_data()"),
            *get_object(s, b, "data/train.csv", "Session.download_data()"),
        ),
    )


def s3_data(s: WorkflowSettings) -> Workflow | None:
    """Read, write and list the persona's data."""
    if not s.buckets:
        return None
    b = s.buckets[0]
    return Workflow(
        "s3-data", f"Read and write data in s3://{b}",
        (
            Request("s3:ListBucket", s.s3(b), call="S3Downloader.list()"),
            *get_object(s, b, "datasets/train.csv", "S3Downloader.download()"),
            *put_object(s, b, "datasets/features.parquet", "S3Uploader.upload()"),
        ),
    )


def athena_awswrangler(s: WorkflowSettings) -> Workflow | None:
    """``wr.athena.read_sql_query(sql, database, workgroup=..., ctas_approach=False)``
    with the workgroup's output location in the persona's first bucket."""
    if not s.workgroups:
        return None
    wg = s.workgroups[0]
    db = s.glue_databases[0] if s.glue_databases else "analytics"
    results = s.buckets[0] if s.buckets else s.default_bucket
    call = "wr.athena.read_sql_query()"
    group = s.arn("athena", f"workgroup/{wg}")

    def reqs() -> Iterator[Request]:
        yield Request("athena:GetWorkGroup", group, call=f"{call}: read the workgroup's settings")
        yield Request("athena:StartQueryExecution", group, call=f"{call}: start the query")
        for resource in (s.arn("glue", "catalog"), s.arn("glue", f"database/{db}")):
            yield Request("glue:GetDatabase", resource, call="Athena: read the database")
        for resource in (s.arn("glue", "catalog"), s.arn("glue", f"database/{db}"),
                         s.arn("glue", f"table/{db}/events")):
            yield Request("glue:GetTable", resource, call="Athena: read the table")
            yield Request("glue:GetPartitions", resource, call="Athena: read the partitions")
        yield Request("s3:GetBucketLocation", s.s3(results), call="Athena: the results bucket")
        yield Request("s3:ListBucket", s.s3(results), call="Athena: the results bucket")
        yield from put_object(s, results, f"athena/{wg}/q-1.csv", "Athena: write the results")
        yield Request("athena:GetQueryExecution", group, call=f"{call}: wait")
        yield Request("athena:GetQueryResults", group, call=f"{call}: read the results")
        yield from get_object(s, results, f"athena/{wg}/q-1.csv", f"{call}: read the results")

    return Workflow("athena-awswrangler", "Query Athena with awswrangler", reqs(),
                    requires=("S3 Bucket Access | S3 Full Access",))


def glue_tables(s: WorkflowSettings) -> Workflow | None:
    """Find and update a table's schema."""
    if not s.glue_databases or "*" in s.glue_databases[0]:
        return None
    db = s.glue_databases[0]
    res = (s.arn("glue", "catalog"), s.arn("glue", f"database/{db}"),
           s.arn("glue", f"table/{db}/events"))
    return Workflow(
        "glue-tables", f"Search and update tables in the Glue database {db}",
        (
            *(Request("glue:SearchTables", r, call="wr.catalog.search_tables()") for r in res),
            *(Request("glue:GetTable", r, call="wr.catalog.table()") for r in res),
            *(Request("glue:UpdateTable", r, call="wr.catalog.add_column()") for r in res),
        ),
    )


def feature_store_offline(s: WorkflowSettings) -> Workflow | None:
    """What Feature Store does with the offline-store role: write Parquet files
    with ``bucket-owner-full-control`` into the store's bucket and keep the Glue
    table in ``sagemaker_featurestore`` in step."""
    if not s.buckets:
        return None
    b = s.buckets[0]
    key = f"offline-store/{s.account_id}/sagemaker/{s.region}/offline-store/fg-1/data/part.parquet"
    db = "sagemaker_featurestore"
    acl = {"s3:x-amz-acl": "bucket-owner-full-control"}
    call = "Feature Store offline store"
    glue = (s.arn("glue", "catalog"), s.arn("glue", f"database/{db}"),
            s.arn("glue", f"table/{db}/fg_1"))

    def reqs() -> Iterator[Request]:
        yield Request("s3:GetBucketAcl", s.s3(b), call=f"{call}: check the bucket")
        for action in ("s3:PutObject", "s3:PutObjectAcl"):
            yield Request(action, s.s3(b, key), context_for(action, acl),
                          call=f"{call}: write a record file, owner full control")
        yield from (r for r in put_object(s, b, key, call) if r.action != "s3:PutObject")
        for action in ("glue:GetTable", "glue:UpdateTable"):
            yield from (Request(action, r, call=f"{call}: keep its Glue table") for r in glue)

    return Workflow("feature-store-offline", f"Feature Store writes its offline store in s3://{b}",
                    reqs())


def compute_job_runtime(s: WorkflowSettings) -> Workflow:
    """What a training job's execution role asks while the job runs: ENIs in the
    VPC, the image from ECR, data through S3 (and KMS), logs and metrics."""
    job = f"{s.name}-training-2026-01-01-00-00-00-000"
    b = s.data_bucket

    def reqs() -> Iterator[Request]:
        net = s.network
        if net is not None:
            eni = s.arn("ec2", "network-interface/eni-0abc1234def567890")
            yield Request("ec2:DescribeVpcs", "*", call="SageMaker: find the VPC")
            yield Request("ec2:DescribeSubnets", "*", call="SageMaker: read the subnets")
            yield Request("ec2:DescribeSecurityGroups", "*", call="SageMaker: read the groups")
            yield Request("ec2:DescribeDhcpOptions", "*", call="SageMaker: read DHCP options")
            yield Request("ec2:DescribeNetworkInterfaces", "*", call="SageMaker: find its ENIs")
            for resource in (eni, s.arn("ec2", f"subnet/{net.subnets[0]}"),
                             s.arn("ec2", f"security-group/{net.security_groups[0]}")):
                yield Request("ec2:CreateNetworkInterface", resource,
                              call="SageMaker: attach the job to the VPC")
            yield Request("ec2:CreateNetworkInterfacePermission", eni,
                          call="SageMaker: let the job use the ENI")
            yield Request("ec2:DeleteNetworkInterfacePermission", eni, call="SageMaker: clean up")
            yield Request("ec2:DeleteNetworkInterface", eni, call="SageMaker: clean up")
        if s.ecr_repositories:
            repo = s.ecr_repositories[0].replace("*", "train")
            arn = repo if repo.startswith("arn:") else s.arn("ecr", f"repository/{repo}")
            yield Request("ecr:GetAuthorizationToken", "*", call="SageMaker: log in to ECR")
            for action in ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                           "ecr:GetDownloadUrlForLayer"):
                yield Request(action, arn, call="SageMaker: pull the training image")
        yield Request("s3:GetBucketLocation", s.s3(b), call="SageMaker: check the data's region")
        yield Request("s3:ListBucket", s.s3(b), call="SageMaker: list the input channel")
        yield from get_object(s, b, "datasets/train.csv", "SageMaker: download the input")
        yield from put_object(s, b, f"{job}/output/model.tar.gz", "SageMaker: upload the model")
        group = s.arn("logs", "log-group:/aws/sagemaker/TrainingJobs")
        stream = f"{group}:log-stream:{job}/algo-1-1700000000"
        yield Request("logs:CreateLogGroup", group, call="container logs")
        yield Request("logs:CreateLogStream", stream, call="container logs")
        yield Request("logs:DescribeLogStreams", group, call="container logs")
        yield Request("logs:PutLogEvents", stream, call="container logs")
        yield Request(
            "cloudwatch:PutMetricData", "*",
            context_for("cloudwatch:PutMetricData",
                        {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}),
            call="instance metrics",
        )
        yield sm(s, "BatchPutMetrics", f"training-job/{job}", "training metrics (Run in a job)")

    return Workflow("compute-job-runtime",
                    "Inside a job: VPC network interfaces, ECR, S3 through KMS, logs, metrics",
                    reqs())


def compute_default_bucket(s: WorkflowSettings) -> Workflow:
    """A job reads the code the SDK uploaded and writes its model to the default bucket."""
    b = s.default_bucket
    job = f"{s.name}-training-2026-01-01-00-00-00-000"
    return Workflow(
        "compute-default-bucket", f"Inside a job: code and model in the SDK's default bucket {b}",
        (
            Request("s3:GetBucketLocation", s.s3(b), call="SageMaker: check the bucket's region"),
            Request("s3:ListBucket", s.s3(b), call="SageMaker: list the code channel"),
            *get_object(s, b, f"{job}/source/sourcedir.tar.gz", "SageMaker: download the code"),
            *put_object(s, b, f"{job}/output/model.tar.gz", "SageMaker: upload the model"),
        ),
    )
