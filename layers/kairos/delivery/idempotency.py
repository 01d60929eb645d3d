"""Exactly once per delivery id, on Powertools' idempotency utility.

A single delivery is a plain function (service.deliver_one) wrapped with
`idempotent_function(data_keyword_argument="request", …)`: keyed on the request's
`delivery_id` (JMESPath), key prefix `kairos.sender.deliver`, records kept 14 days
(SQS' longest retention), the `Outcome` stored and read back through
`PydanticSerializer`. A redelivered message gets the first attempt's outcome back and
sends nothing; the in-progress claim expires with the invocation's remaining time (the
Lambda context is registered per batch), so a crash mid-send is retried.

A multicast is where Powertools' public API stops: `idempotent_function` claims one key
around one call, and a multicast is one call for up to 500 keys. `PersistenceClaims`
therefore claims each member through the persistence layer's record operations
(`save_inprogress`, `get_record`, `save_success`, `delete_record`: the public methods
the decorator itself uses, no private ones) on the same table with the same key prefix
and the same stored outcome, so a member sent by push is never in a later multicast and
the other way round. Its guarantee is the single delivery's, except the window the docs
name (docs/sender.md, "Exactly once").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast, runtime_checkable

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

from kairos.delivery.model import Outcome, RetryLater
from kairos.delivery.ports import Busy, Claim, Claimed, Done
from kairos.models.send_request import SendRequest

KEY_PREFIX = "kairos.sender.deliver"
EXPIRES_AFTER_SECONDS = 14 * 24 * 3600
"""As long as SQS can keep a message: a redelivery within it never sends twice."""

CONFLICT = "conflict"
"""A batching layer's answer for a record another transaction touched at that moment."""

SingleDelivery = Callable[..., Outcome]
"""`f(*, request: SendRequest, **context) -> Outcome`"""


def idempotency_config(expires_after_seconds: int = EXPIRES_AFTER_SECONDS) -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath="delivery_id",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=expires_after_seconds,
    )


def once(
    function: SingleDelivery, persistence: BasePersistenceLayer, config: IdempotencyConfig
) -> SingleDelivery:
    """`function` under Powertools idempotency on its `request` keyword argument; every
    other keyword argument is passed through untouched (and not hashed)."""
    return cast(
        SingleDelivery,
        idempotent_function(
            function,
            data_keyword_argument="request",
            persistence_store=persistence,
            config=config,
            # An instance: the model cannot be read from a string annotation.
            output_serializer=PydanticSerializer(model=Outcome),
            key_prefix=KEY_PREFIX,
        ),
    )


@runtime_checkable
class BatchPersistence(Protocol):
    """A persistence layer that claims and completes many records per request
    (`kairos.store.claims.BatchedDynamoDBPersistenceLayer`)."""

    def save_inprogress_many(
        self, data: Sequence[dict[str, Any]], remaining_time_in_millis: int | None
    ) -> list[Any]: ...

    def save_success_many(
        self, completed: Sequence[tuple[dict[str, Any], dict[str, Any]]]
    ) -> None: ...


class PersistenceClaims:
    """ports.DeliveryClaims on a Powertools persistence layer (see the module docstring
    for why a multicast cannot use the decorator)."""

    def __init__(self, persistence: BasePersistenceLayer, config: IdempotencyConfig) -> None:
        self.persistence = persistence
        self.config = config

    def _data(self, request: SendRequest) -> dict[str, Any]:
        # The same configuration the decorator applies before each call (idempotent).
        self.persistence.configure(self.config, key_prefix=KEY_PREFIX)
        return request.model_dump(mode="json")

    def _remaining(self) -> int | None:
        context = self.config.lambda_context
        return context.get_remaining_time_in_millis() if context is not None else None

    def claim_many(self, requests: Sequence[SendRequest]) -> list[Claim]:
        """Every request's claim: in one transaction per 100 on a batching layer, one
        by one on any other."""
        persistence = self.persistence
        if not requests or not isinstance(persistence, BatchPersistence):
            return [self.claim(r) for r in requests]
        data = [self._data(r) for r in requests]
        answers = persistence.save_inprogress_many(data, self._remaining())
        claims: list[Claim] = []
        for answer in answers:
            if answer is None:
                claims.append(Claimed())
            elif answer == CONFLICT:
                claims.append(Busy(RetryLater("idempotency record changed under us", delay=1.0)))
            elif answer.status == "COMPLETED":
                claims.append(Done(Outcome.model_validate(answer.response_json_as_dict())))
            else:
                claims.append(Busy(RetryLater("delivery in progress elsewhere", delay=5.0)))
        return claims

    def complete_many(self, completed: Sequence[tuple[SendRequest, Outcome]]) -> None:
        """Every (request, outcome) completed; batched writes on a batching layer."""
        persistence = self.persistence
        if not isinstance(persistence, BatchPersistence):
            for request, outcome in completed:
                self.complete(request, outcome)
            return
        if completed:
            persistence.save_success_many(
                [(self._data(r), o.model_dump(mode="json")) for r, o in completed]
            )

    def claim(self, request: SendRequest) -> Claim:
        data = self._data(request)
        remaining = self._remaining()
        try:
            self.persistence.save_inprogress(data=data, remaining_time_in_millis=remaining)
            return Claimed()
        except IdempotencyItemAlreadyExistsError as exc:
            try:
                record = exc.old_data_record or self.persistence.get_record(data=data)
            except IdempotencyItemNotFoundError:
                return Busy(RetryLater("idempotency record changed under us", delay=1.0))
            if record is not None and record.status == "COMPLETED":
                return Done(Outcome.model_validate(record.response_json_as_dict()))
            return Busy(RetryLater("delivery in progress elsewhere", delay=5.0))

    def complete(self, request: SendRequest, outcome: Outcome) -> None:
        self.persistence.save_success(
            data=self._data(request), result=outcome.model_dump(mode="json")
        )

    def release(self, request: SendRequest, error: Exception) -> None:
        self.persistence.delete_record(data=self._data(request), exception=error)
