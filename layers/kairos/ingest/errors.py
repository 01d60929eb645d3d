"""Domain errors the webhook maps to HTTP answers (nothing is written when one is raised)."""

from __future__ import annotations


class IngestError(Exception):
    status = 400


class InvalidSignature(IngestError):
    status = 401


class InvalidBody(IngestError):
    """The body is not what the route takes; the message names the field."""

    status = 400


class BodyTooLarge(IngestError):
    status = 413
