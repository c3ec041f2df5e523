"""Shared fixtures: a moto-backed session and a recorder of its API calls."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest

from secureml.testing import CallRecorder, mock_session

# Belt and braces: no test may ever find real credentials or config.
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ.pop("AWS_PROFILE", None)
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def session() -> Iterator[boto3.Session]:
    """A boto3 session on a fresh moto backend (us-east-1)."""
    with mock_session() as s:
        yield s


@pytest.fixture
def calls(session: boto3.Session) -> CallRecorder:
    """Every API call made through ``session`` from now on."""
    return CallRecorder.attach(session)
