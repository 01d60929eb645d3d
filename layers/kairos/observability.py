"""One place for Logger, Tracer and Metrics (Powertools), shared by every function.

The service name comes from POWERTOOLS_SERVICE_NAME, which the stack sets per function
(`webhook`, `evaluator`, `sender`), so each function's log lines, traces and metrics
say which function wrote them; `kairos` is the fallback outside Lambda. Logger output
is one JSON object per line. Logs carry ids only (member, event, delivery), never
names, emails, phones or texts. Metrics go through `count`, which publishes only the
names `kairos.metric_names` lists for this stack's metrics mode; a journey step's
counters through `count_step`, only in detailed mode.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from kairos import metric_names

# A refused request publishes no metrics; Powertools warns on every such invocation.
warnings.filterwarnings("ignore", message="No application metrics to publish")

DEFAULT_SERVICE = "kairos"


def service_name() -> str:
    """This function's service name (POWERTOOLS_SERVICE_NAME, else `kairos`)."""
    return os.environ.get("POWERTOOLS_SERVICE_NAME") or DEFAULT_SERVICE


logger = Logger(service=service_name())
tracer = Tracer(service=service_name())
metrics = Metrics(namespace="Kairos", service=service_name())


def count(name: str, value: float) -> None:
    """Add to a count metric if this stack publishes it (kairos.metric_names): health
    metrics always, the rest only with `kairos:metrics=detailed`."""
    if metric_names.published(name):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def count_step(journey: str, step: str, increments: Mapping[str, float]) -> None:
    """Publish a journey step's `STEP_COUNTERS` increments, with `kairos:metrics=detailed`
    only (each name × journey × step is a billed metric). Its own EMF document, flushed
    now: `metrics` keeps one dimension set for its whole flush."""
    if not metric_names.detailed():
        return
    counted = {n: v for n, v in increments.items() if n in metric_names.STEP_COUNTERS and v}
    if not counted:
        return
    document = EphemeralMetrics(namespace="Kairos", service=service_name())
    document.add_dimension(name="journey", value=journey)
    document.add_dimension(name="step", value=step)
    for name, value in sorted(counted.items()):
        document.add_metric(name=name, unit=MetricUnit.Count, value=value)
    document.flush_metrics()
