"""The console's journeys and segments views (kairos.ingest.routes, family `console_*`):
each takes the ConsoleRequest the handler built (caller checked, role allowed) and the
path parameters, calls one kairos.console service and answers JSON (never cached).
Unknown journeys, steps and segments answer 404 naming them; bad queries 400."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel

import kairos.console.journeys as journeys
import kairos.console.segments as segments
from kairos.console.request import ConsoleRequest


def answer(model: BaseModel, status: int = 200) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(model.model_dump(mode="json", by_alias=True), ensure_ascii=False),
        headers={"Cache-Control": "no-store"},
    )


def not_found(exc: journeys.NotFound) -> Response[Any]:
    return Response(
        status_code=404,
        content_type=content_types.APPLICATION_JSON,
        body={"error": str(exc)},
        headers={"Cache-Control": "no-store"},
    )


def journey_list(req: ConsoleRequest) -> Response[Any]:
    return answer(journeys.list_journeys(req.services, req.query, req.now))


def journey(req: ConsoleRequest, journey_id: str) -> Response[Any]:
    try:
        return answer(journeys.journey_page(req.services, journey_id, req.query, req.now))
    except journeys.NotFound as exc:
        return not_found(exc)


def step_members(req: ConsoleRequest, journey_id: str, step_id: str) -> Response[Any]:
    try:
        return answer(journeys.step_members(req.services, journey_id, step_id, req.query))
    except journeys.NotFound as exc:
        return not_found(exc)


def segment_list(req: ConsoleRequest) -> Response[Any]:
    return answer(segments.list_segments(req.services))


def segment(req: ConsoleRequest, segment_id: str) -> Response[Any]:
    try:
        return answer(segments.segment_page(req.services, segment_id, req.query, req.now))
    except journeys.NotFound as exc:
        return not_found(exc)


VIEWS: dict[str, Callable[..., Response[Any]]] = {
    "console_journeys": journey_list,
    "console_journey": journey,
    "console_step_members": step_members,
    "console_segments": segment_list,
    "console_segment": segment,
}
