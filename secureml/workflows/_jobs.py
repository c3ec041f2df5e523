"""Workflows of people running ML jobs with the SageMaker Python SDK: train,
process, tune, batch transform, AutoML V2, experiments."""

from __future__ import annotations

from collections.abc import Iterator

from secureml.workflows._model import Request, Workflow, WorkflowSettings
from secureml.workflows._steps import create, job_keys, log_reads, pass_role, put_object, sm

S3_ANY = "S3 Bucket Access | S3 Full Access | Access Required AWS Services"
"""The SDK uploads code and data to S3: any one of these activities grants that."""

__all__ = [
    "automl_v2",
    "batch_transform",
    "experiments_run",
    "process",
    "search_experiments",
    "train",
    "train_local_storage",
    "train_model_trainer",
    "tune",
]


def _upload_code(s: WorkflowSettings, job: str, call: str) -> Iterator[Request]:
    # The SDK packs the entry point and uploads it to its default bucket.
    yield Request(
        "s3:ListBucket", s.s3(s.default_bucket), call=f"{call}: default_bucket() (HeadBucket)"
    )
    yield from put_object(
        s, s.default_bucket, f"{job}/source/sourcedir.tar.gz", f"{call}: upload code"
    )


def _training(
    s: WorkflowSettings, job: str, call: str, *, instance_type: str | None = None
) -> Iterator[Request]:
    yield from _upload_code(s, job, call)
    yield pass_role(s, f"{call}: CreateTrainingJob passes the execution role")
    yield from create(
        s, "CreateTrainingJob", f"training-job/{job}", f"{call}: CreateTrainingJob",
        job_keys(s, instance_type=instance_type),
    )
    yield sm(s, "DescribeTrainingJob", f"training-job/{job}", f"{call}: wait (DescribeTrainingJob)")
    yield from log_reads(s, "/aws/sagemaker/TrainingJobs", f"{job}/algo-1-1700000000", call)


def train(s: WorkflowSettings) -> Workflow:
    """``Estimator.fit()`` (logs="All", wait=True)."""
    job = f"{s.name}-training-2026-01-01-00-00-00-000"
    return Workflow(
        "train", "Train a model and stream its logs (v2 Estimator.fit())",
        _training(s, job, "Estimator.fit()"),
        requires=(S3_ANY,),
    )


def train_model_trainer(s: WorkflowSettings) -> Workflow:
    """v3 ``ModelTrainer.train()`` (wait=True, logs=True)."""
    job = f"{s.name}-model-trainer-20260101000000"
    return Workflow(
        "train-model-trainer", "Train with the v3 ModelTrainer.train() and stream its logs",
        _training(s, job, "ModelTrainer.train()"),
        requires=(S3_ANY,),
    )


def train_local_storage(s: WorkflowSettings) -> Workflow | None:
    """GPU training on an instance with local NVMe storage: under KMS the request
    carries no volume key (SageMaker refuses one there)."""
    if s.gpu_instance_type is None:
        return None
    job = f"{s.name}-gpu-training-2026-01-01-00-00-00-000"
    return Workflow(
        "train-gpu-local-storage",
        f"Train on a GPU instance with local NVMe storage ({s.gpu_instance_type}), no volume key",
        _training(s, job, "Estimator.fit()", instance_type=s.gpu_instance_type),
        requires=(S3_ANY,),
    )


def process(s: WorkflowSettings) -> Workflow:
    """``ScriptProcessor.run()`` (logs=True, wait=True)."""
    job = f"{s.name}-processing-2026-01-01-00-00-00-000"
    call = "Processor.run()"

    def reqs() -> Iterator[Request]:
        yield Request("s3:ListBucket", s.s3(s.default_bucket), call=f"{call}: default bucket")
        yield from put_object(s, s.default_bucket, f"{job}/input/code/preprocess.py",
                              f"{call}: upload code")
        yield pass_role(s, f"{call}: CreateProcessingJob passes the execution role")
        yield from create(s, "CreateProcessingJob", f"processing-job/{job}",
                          f"{call}: CreateProcessingJob", job_keys(s))
        yield sm(s, "DescribeProcessingJob", f"processing-job/{job}", f"{call}: wait")
        yield from log_reads(s, "/aws/sagemaker/ProcessingJobs", f"{job}/algo-1-1700000000", call)

    return Workflow("process", "Run a processing job and stream its logs (Processor.run())",
                    reqs(), requires=(S3_ANY,))


def tune(s: WorkflowSettings) -> Workflow:
    """``HyperparameterTuner.fit()`` then ``.wait()`` and the best training job."""
    job = f"{s.name}-tuning-260101-0000"
    call = "HyperparameterTuner.fit()"

    def reqs() -> Iterator[Request]:
        yield from _upload_code(s, job, call)
        yield pass_role(s, f"{call}: CreateHyperParameterTuningJob passes the execution role")
        yield from create(s, "CreateHyperParameterTuningJob", f"hyper-parameter-tuning-job/{job}",
                          f"{call}: CreateHyperParameterTuningJob", job_keys(s))
        yield sm(s, "DescribeHyperParameterTuningJob", f"hyper-parameter-tuning-job/{job}",
                 "HyperparameterTuner.wait()")
        yield sm(s, "ListTrainingJobsForHyperParameterTuningJob",
                 f"hyper-parameter-tuning-job/{job}", "tuner.analytics().dataframe()")
        yield sm(s, "DescribeTrainingJob", f"training-job/{job}-001-abcdef12",
                 "tuner.best_estimator()")

    return Workflow("tune", "Tune hyperparameters and read the best job", reqs(),
                    requires=(S3_ANY,))


def batch_transform(s: WorkflowSettings) -> Workflow:
    """``estimator.transformer()`` + ``Transformer.transform(wait=True, logs=True)``."""
    model = f"{s.name}-model-2026-01-01-00-00-00-000"
    job = f"{s.name}-transform-2026-01-01-00-00-00-000"
    call = "Transformer.transform()"

    def reqs() -> Iterator[Request]:
        yield pass_role(s, "estimator.transformer(): CreateModel passes the execution role")
        yield from create(s, "CreateModel", f"model/{model}",
                          "estimator.transformer(): CreateModel",
                          job_keys(s, instances=False, volume_key=False, output_key=False,
                                   ict=False))
        yield from create(s, "CreateTransformJob", f"transform-job/{job}",
                          f"{call}: CreateTransformJob", job_keys(s, vpc=False))
        yield sm(s, "DescribeTransformJob", f"transform-job/{job}", "Transformer.wait()")
        yield from log_reads(s, "/aws/sagemaker/TransformJobs", f"{job}/i-0abc1234-1700000000",
                             "Transformer.wait()")

    return Workflow("batch-transform", "Run a batch transform and stream its logs", reqs(),
                    requires=("Manage Models",))


def automl_v2(s: WorkflowSettings) -> Workflow:
    """``AutoMLV2.fit()`` on a local data set, then its best candidate."""
    job = f"{s.name}-automl-v2"
    call = "AutoMLV2.fit()"

    def reqs() -> Iterator[Request]:
        yield Request("s3:ListBucket", s.s3(s.default_bucket), call=f"{call}: default bucket")
        yield from put_object(s, s.default_bucket, "auto-ml-v2-input-data/train.csv",
                              f"{call}: upload the data set")
        yield pass_role(s, f"{call}: CreateAutoMLJobV2 passes the execution role")
        yield from create(s, "CreateAutoMLJobV2", f"automl-job/{job}",
                          f"{call}: CreateAutoMLJobV2", job_keys(s, instances=False))
        yield sm(s, "DescribeAutoMLJobV2", f"automl-job/{job}", f"{call}: wait")
        yield sm(s, "ListCandidatesForAutoMLJob", "*", "AutoMLV2.list_candidates()")

    return Workflow("automl-v2", "Run an AutoML V2 job and list its candidates", reqs(),
                    requires=(S3_ANY,))


def experiments_run(s: WorkflowSettings) -> Workflow:
    """``with Run(experiment_name=..., run_name=...) as run: run.log_metric(...)``."""
    exp, run = f"{s.name}-experiment", f"{s.name}-experiment-run-1"
    call = "Run()"

    def reqs() -> Iterator[Request]:
        yield sm(s, "DescribeExperiment", f"experiment/{exp}", f"{call}: load the experiment")
        yield from create(s, "CreateExperiment", f"experiment/{exp}", f"{call}: CreateExperiment")
        trial = f"Default-Run-Group-{exp}"
        yield sm(s, "DescribeTrial", f"experiment-trial/{trial}", f"{call}: load the run group")
        yield from create(s, "CreateTrial", f"experiment-trial/{trial}", f"{call}: CreateTrial")
        yield sm(s, "DescribeTrialComponent", f"experiment-trial-component/{run}",
                 f"{call}: load the run")
        yield from create(s, "CreateTrialComponent", f"experiment-trial-component/{run}",
                          f"{call}: CreateTrialComponent")
        yield sm(s, "AssociateTrialComponent", f"experiment-trial-component/{run}",
                 f"{call}: add the run to its group")
        yield sm(s, "AssociateTrialComponent", f"experiment-trial/{trial}",
                 f"{call}: add the run to its group")
        yield sm(s, "BatchPutMetrics", f"experiment-trial-component/{run}", "Run.log_metric()")
        yield sm(s, "UpdateTrialComponent", f"experiment-trial-component/{run}",
                 "Run.log_parameter() / leaving the run")

    return Workflow("experiments-run", "Track an experiment run and log metrics (Run.log_metric())",
                    reqs())


def search_experiments(s: WorkflowSettings) -> Workflow:
    """Studio's experiments view and ``ExperimentAnalytics``."""
    exp = f"{s.name}-experiment"
    return Workflow(
        "search-experiments",
        "Search and compare experiment runs (ExperimentAnalytics, Studio)",
        (
            sm(s, "ListExperiments", "*", "Studio: list experiments"),
            sm(s, "DescribeExperiment", f"experiment/{exp}", "Studio: open an experiment"),
            sm(s, "ListTrialComponents", "*", "Studio: list runs"),
            sm(s, "Search", "*", "ExperimentAnalytics.dataframe()"),
            sm(s, "QueryLineage", "*", "LineageQuery.query()"),
        ),
    )
