"""The engine: a :class:`Blueprint` of resources, its :class:`Plan` of
:class:`Change` values, and ``apply()`` returning an :class:`ApplyResult`.

It knows nothing about any AWS service: resources plug in through
:class:`secureml.resources.Resource`.
"""

from secureml.engine._apply import ApplyResult, ProgressCallback
from secureml.engine._blueprint import Blueprint
from secureml.engine._plan import ACTIONS, Action, Change, Plan, diff_lines
from secureml.engine._registry import resource_kinds

__all__ = [
    "ACTIONS",
    "Action",
    "ApplyResult",
    "Blueprint",
    "Change",
    "Plan",
    "ProgressCallback",
    "diff_lines",
    "resource_kinds",
]
