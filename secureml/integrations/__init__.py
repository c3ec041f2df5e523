"""Optional integrations with other tools. Each is imported on its own
(``from secureml.integrations.sagemaker import job_settings``) and never
imports the tool's package at ``import secureml``."""
