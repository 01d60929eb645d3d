"""One place for Logger, Tracer and Metrics (Powertools), shared by every function.

Logs carry ids only (member, event, delivery), never names, emails, phones or texts.
"""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

# A refused request publishes no metrics; Powertools warns on every such invocation.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service="kairos")
tracer = Tracer(service="kairos")
metrics = Metrics(namespace="Kairos", service="kairos")
