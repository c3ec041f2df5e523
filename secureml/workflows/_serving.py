"""Workflows of putting models to work: the model registry, endpoints
(real-time, serverless, asynchronous), invocation, Model Monitor and
SageMaker Pipelines (the people who run them and the pipeline's own role)."""

from __future__ import annotations

from collections.abc import Iterator

from secureml.workflows._model import Request, Workflow, WorkflowSettings
from secureml.workflows._steps import create, job_keys, log_reads, pass_role, sm

__all__ = [
    "deploy_async",
    "deploy_realtime",
    "deploy_serverless",
    "invoke_endpoint",
    "model_monitor",
    "pipeline",
    "pipeline_role",
    "register_model",
]


def register_model(s: WorkflowSettings) -> Workflow:
    """``estimator.register(model_package_group_name=...)`` into a new group."""
    group = f"{s.name}-models"
    call = "Model.register()"
    return Workflow(
        "register-model", "Register a model version in the model registry",
        (
            *create(s, "CreateModelPackageGroup", f"model-package-group/{group}",
                    f"{call}: CreateModelPackageGroup"),
            *create(s, "CreateModelPackage", f"model-package/{group}/1",
                    f"{call}: CreateModelPackage",
                    {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}),
            sm(s, "DescribeModelPackage", f"model-package/{group}/1", f"{call}: wait"),
            sm(s, "ListModelPackages", "*", "list the group's versions"),
        ),
    )


def _approve(s: WorkflowSettings, group: str) -> Iterator[Request]:
    yield sm(s, "ListModelPackages", "*", "find the latest version")
    yield sm(s, "DescribeModelPackage", f"model-package/{group}/1", "read the version")
    if s.approves:  # approving belongs to MLOps; others deploy an approved version
        yield sm(s, "UpdateModelPackage", f"model-package/{group}/1",
                 "approve: UpdateModelPackage(ModelApprovalStatus=Approved)",
                 sagemaker__ModelApprovalStatus="Approved")


def _model(s: WorkflowSettings, model: str, call: str) -> Iterator[Request]:
    yield pass_role(s, f"{call}: CreateModel passes the execution role")
    yield from create(
        s, "CreateModel", f"model/{model}", f"{call}: CreateModel",
        job_keys(s, instances=False, volume_key=False, output_key=False, ict=False),
    )


def _endpoint(
    s: WorkflowSettings, name: str, call: str, keys: dict[str, object]
) -> Iterator[Request]:
    yield from create(s, "CreateEndpointConfig", f"endpoint-config/{name}",
                      f"{call}: CreateEndpointConfig", keys)  # type: ignore[arg-type]
    yield from create(s, "CreateEndpoint", f"endpoint/{name}", f"{call}: CreateEndpoint")
    yield sm(s, "CreateEndpoint", f"endpoint-config/{name}", f"{call}: CreateEndpoint (its config)")
    yield sm(s, "DescribeEndpoint", f"endpoint/{name}", f"{call}: wait for InService")


def _endpoint_keys(s: WorkflowSettings) -> dict[str, object]:
    # The SDK's deploy() sends an instance type and (when given) kms_key; it never
    # sends a VpcConfig or network isolation on the endpoint config: those come
    # from the model.
    return dict(job_keys(s, vpc=False, output_key=False, isolation=False, ict=False))


def deploy_realtime(s: WorkflowSettings) -> Workflow:
    """Approve a registered version, then ``ModelPackage.deploy()`` to a real-time endpoint."""
    group, name = f"{s.name}-models", f"{s.name}-realtime"
    return Workflow(
        "approve-and-deploy-realtime",
        "Approve a model version and deploy it to a real-time endpoint",
        (*_approve(s, group), *_model(s, name, "ModelPackage.deploy()"),
         *_endpoint(s, name, "ModelPackage.deploy()", _endpoint_keys(s))),
        requires=("Manage Models",),
    )


def deploy_serverless(s: WorkflowSettings) -> Workflow:
    """``model.deploy(serverless_inference_config=...)``: no instance, no volume."""
    name = f"{s.name}-serverless"
    keys: dict[str, object] = {
        "sagemaker:ServerlessMaxConcurrency": 5,
        "sagemaker:ServerlessMemorySize": 2048,
    }
    return Workflow(
        "deploy-serverless", "Deploy a model to a serverless endpoint",
        (*_model(s, name, "Model.deploy()"), *_endpoint(s, name, "Model.deploy()", keys)),
        requires=("Manage Models",),
    )


def deploy_async(s: WorkflowSettings) -> Workflow:
    """``model.deploy(async_inference_config=...)``."""
    name = f"{s.name}-async"
    return Workflow(
        "deploy-async", "Deploy a model to an asynchronous endpoint",
        (*_model(s, name, "Model.deploy()"),
         *_endpoint(s, name, "Model.deploy(async_inference_config=...)", _endpoint_keys(s)),
         sm(s, "InvokeEndpointAsync", f"endpoint/{name}",
            "AsyncPredictor.predict_async(input_path=s3://...)")),
        requires=("Manage Models",),
    )


def invoke_endpoint(s: WorkflowSettings) -> Workflow:
    """``Predictor.predict()`` and the endpoint's CloudWatch logs."""
    name = f"{s.name}-realtime"
    return Workflow(
        "invoke-endpoint", "Invoke a real-time endpoint and read its logs",
        (
            sm(s, "InvokeEndpoint", f"endpoint/{name}", "Predictor.predict()"),
            *log_reads(s, f"/aws/sagemaker/Endpoints/{name}", "AllTraffic/i-0abc1234def567890",
                       "endpoint logs"),
            Request("logs:FilterLogEvents",
                    s.arn("logs", f"log-group:/aws/sagemaker/Endpoints/{name}"),
                    call="endpoint logs: search (Studio, console)"),
        ),
    )


_MONITOR_KINDS = (
    ("DataQuality", "data-quality-job-definition", "DefaultModelMonitor"),
    ("ModelQuality", "model-quality-job-definition", "ModelQualityMonitor"),
    ("ModelBias", "model-bias-job-definition", "ModelBiasMonitor"),
    ("ModelExplainability", "model-explainability-job-definition", "ModelExplainabilityMonitor"),
)


def model_monitor(s: WorkflowSettings) -> Workflow:
    """A baseline job, then for each monitor kind a job definition and a schedule."""
    def reqs() -> Iterator[Request]:
        base = f"{s.name}-baseline-2026-01-01-00-00-00-000"
        yield pass_role(s, "suggest_baseline(): passes the monitor's role")
        yield from create(s, "CreateProcessingJob", f"processing-job/{base}",
                          "DefaultModelMonitor.suggest_baseline()", job_keys(s))
        yield sm(s, "DescribeProcessingJob", f"processing-job/{base}", "suggest_baseline(): wait")
        for kind, rtype, cls in _MONITOR_KINDS:
            call = f"{cls}.create_monitoring_schedule()"
            definition = f"{s.name}-{rtype.split('-job')[0]}-def"
            yield from create(s, f"Create{kind}JobDefinition", f"{rtype}/{definition}",
                              f"{call}: Create{kind}JobDefinition", job_keys(s))
            yield sm(s, f"Describe{kind}JobDefinition", f"{rtype}/{definition}",
                     f"{cls}.describe_schedule()")
            schedule = f"{s.name}-{kind.lower()}-schedule"
            yield from create(s, "CreateMonitoringSchedule", f"monitoring-schedule/{schedule}",
                              f"{call}: CreateMonitoringSchedule", job_keys(s))
            yield sm(s, "DescribeMonitoringSchedule", f"monitoring-schedule/{schedule}",
                     f"{cls}.describe_schedule()")
        yield sm(s, "ListMonitoringExecutions", "*", "monitor.list_executions()")
        yield sm(s, "StopMonitoringSchedule", f"monitoring-schedule/{s.name}-dataquality-schedule",
                 "monitor.stop_monitoring_schedule()")
        yield sm(s, "DeleteMonitoringSchedule",
                 f"monitoring-schedule/{s.name}-dataquality-schedule",
                 "monitor.delete_monitoring_schedule()")
        yield sm(s, "DeleteDataQualityJobDefinition",
                 f"data-quality-job-definition/{s.name}-data-quality-def",
                 "monitor.delete_monitoring_schedule()")

    return Workflow("model-monitor",
                    "Baseline, then data/model quality, bias and explainability schedules",
                    reqs())


def pipeline(s: WorkflowSettings) -> Workflow:
    """``pipeline.upsert(role_arn=..., tags=...)`` twice (create, then update an
    existing one), ``start()``, ``wait()``, ``list_steps()`` and ``retry``."""
    name = f"{s.name}-pipeline"
    execution = f"pipeline/{name}/execution/abc123def456"
    tags = {"team": s.persona}

    def reqs() -> Iterator[Request]:
        call = "Pipeline.upsert()"
        yield pass_role(s, f"{call}: CreatePipeline passes the pipeline's role")
        yield from create(s, "CreatePipeline", f"pipeline/{name}", f"{call}: CreatePipeline",
                          tags=tags)
        yield pass_role(s, f"{call} on an existing pipeline: UpdatePipeline passes the role")
        yield sm(s, "UpdatePipeline", f"pipeline/{name}", f"{call}: UpdatePipeline")
        yield sm(s, "ListTags", f"pipeline/{name}", f"{call}: ListTags (merge the tags)")
        yield sm(s, "AddTags", f"pipeline/{name}", f"{call}: AddTags",
                 aws__TagKeys=("team",), **{"aws:RequestTag/team": s.persona})
        yield sm(s, "DescribePipeline", f"pipeline/{name}", "Pipeline.describe()")
        yield sm(s, "StartPipelineExecution", f"pipeline/{name}", "Pipeline.start()")
        yield sm(s, "DescribePipelineExecution", execution, "execution.wait()")
        yield sm(s, "ListPipelineExecutionSteps", execution, "execution.list_steps()")
        yield sm(s, "RetryPipelineExecution", execution, "retry a failed execution")
        yield sm(s, "ListPipelineExecutions", f"pipeline/{name}", "Pipeline.list_executions()")

    return Workflow("pipeline", "Build, run and retry a SageMaker pipeline (upsert with tags)",
                    reqs())


def pipeline_role(s: WorkflowSettings) -> Workflow:
    """What a pipeline's own role asks when its steps run (training, processing,
    model, registration, transform), passing itself to the jobs."""
    own = s.own_role
    prefix = "pipelines-abc123def456"

    def reqs() -> Iterator[Request]:
        call = "pipeline step"
        yield pass_role(s, f"{call}: the job runs as the pipeline's role", role=own)
        yield from create(s, "CreateProcessingJob", f"processing-job/{prefix}-Preprocess",
                          "ProcessingStep", job_keys(s))
        yield sm(s, "DescribeProcessingJob", f"processing-job/{prefix}-Preprocess",
                 "ProcessingStep: wait")
        yield from create(s, "CreateTrainingJob", f"training-job/{prefix}-Train",
                          "TrainingStep", job_keys(s))
        yield sm(s, "DescribeTrainingJob", f"training-job/{prefix}-Train", "TrainingStep: wait")
        yield from create(s, "CreateModel", f"model/{prefix}-Model", "ModelStep",
                          job_keys(s, instances=False, volume_key=False, output_key=False,
                                   ict=False))
        yield from create(s, "CreateModelPackage", f"model-package/{s.name}-models/1",
                          "RegisterModel step",
                          {"sagemaker:ModelApprovalStatus": "PendingManualApproval"})
        yield from create(s, "CreateTransformJob", f"transform-job/{prefix}-Transform",
                          "TransformStep", job_keys(s, vpc=False))
        yield sm(s, "DescribeTransformJob", f"transform-job/{prefix}-Transform",
                 "TransformStep: wait")

    return Workflow("pipeline-role", "A pipeline's own role running its steps", reqs())
