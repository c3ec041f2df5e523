"""Every named workflow, by name."""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

from secureml.workflows import _data, _jobs, _serving
from secureml.workflows._model import Workflow, WorkflowSettings

__all__ = ["WORKFLOWS", "Builder"]

Builder = Callable[[WorkflowSettings], "Workflow | None"]

WORKFLOWS: MappingProxyType[str, Builder] = MappingProxyType(
    {
        "train": _jobs.train,
        "train-model-trainer": _jobs.train_model_trainer,
        "train-gpu-local-storage": _jobs.train_local_storage,
        "process": _jobs.process,
        "tune": _jobs.tune,
        "batch-transform": _jobs.batch_transform,
        "automl-v2": _jobs.automl_v2,
        "register-model": _serving.register_model,
        "approve-and-deploy-realtime": _serving.deploy_realtime,
        "deploy-serverless": _serving.deploy_serverless,
        "deploy-async": _serving.deploy_async,
        "invoke-endpoint": _serving.invoke_endpoint,
        "pipeline": _serving.pipeline,
        "pipeline-role": _serving.pipeline_role,
        "model-monitor": _serving.model_monitor,
        "experiments-run": _jobs.experiments_run,
        "search-experiments": _jobs.search_experiments,
        "studio-jupyterlab": _data.studio_app("JupyterLab", "jupyterlab", "JupyterLab"),
        "studio-code-editor": _data.studio_app("CodeEditor", "code-editor", "Code Editor"),
        "athena-awswrangler": _data.athena_awswrangler,
        "glue-tables": _data.glue_tables,
        "feature-store-offline": _data.feature_store_offline,
        "s3-data": _data.s3_data,
        "sdk-default-bucket": _data.default_bucket,
        "compute-job-runtime": _data.compute_job_runtime,
        "compute-default-bucket": _data.compute_default_bucket,
    }
)
"""Workflow name -> the function that builds it for given settings (``None``
when it does not apply to them, e.g. GPU training when no local-storage
instance type is allowed)."""
