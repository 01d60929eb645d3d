"""One place for Logger, Tracer and Metrics (Powertools), shared by every function.

Logs carry ids only (member, event, delivery), never names, emails, phones or texts.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="kairos")
tracer = Tracer(service="kairos")
metrics = Metrics(namespace="Kairos", service="kairos")
