"""The idempotency records of a whole batch in a few DynamoDB requests.

`BatchedDynamoDBPersistenceLayer` is Powertools' `DynamoDBPersistenceLayer` (same table,
same item shape, same key hashing, so the single-record methods and the decorator keep
working on its records) with two batch operations the sender uses:

- `save_inprogress_many`: the in-progress claims of up to 100 deliveries in one
  `TransactWriteItems`, every put under Powertools' own condition (absent, expired, or
  in progress past its in-progress expiry). A cancelled transaction names the items
  whose condition failed (with the item, `ALL_OLD`): those are answered with the stored
  record and the rest is written again. Each claim is still one conditional write on
  one key, so two invocations can never both hold a delivery.
- `save_success_many`: the completed records in `BatchWriteItem`s of 25 (a completion
  overwrites a record we hold, as Powertools' own unconditional update does).

A transaction costs two write units per item against one for a single put: the
request count, not the units, is what the sender's CPU and latency pay for.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.shared.json_encoder import Encoder
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyItemNotFoundError
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from botocore.exceptions import ClientError

from kairos.delivery.idempotency import CONFLICT
from kairos.store.batch import batch_write

TRANSACTION_MAX = 100


class BatchedDynamoDBPersistenceLayer(DynamoDBPersistenceLayer):
    def save_inprogress_many(
        self, data: Sequence[dict[str, Any]], remaining_time_in_millis: int | None
    ) -> list[DataRecord | str | None]:
        """Claim every payload; per payload None (claimed), the record already there
        (`DataRecord`), or `CONFLICT`."""
        expiry = self._get_expiry_timestamp()
        now = dt.datetime.now()
        in_progress_expiry = (
            int((now + dt.timedelta(milliseconds=remaining_time_in_millis)).timestamp() * 1000)
            if remaining_time_in_millis is not None
            else None
        )
        answers: list[DataRecord | str | None] = [None] * len(data)
        pending: list[tuple[int, dict[str, Any]]] = []
        for i, payload in enumerate(data):
            key = self._get_hashed_idempotency_key(data=payload)
            assert key is not None  # raise_on_no_idempotency_key is set
            item: dict[str, Any] = {
                **self._get_key(key),
                self.expiry_attr: {"N": str(expiry)},
                self.status_attr: {"S": "INPROGRESS"},
            }
            if in_progress_expiry is not None:
                item[self.in_progress_expiry_attr] = {"N": str(in_progress_expiry)}
            if self.payload_validation_enabled:
                item[self.validation_key_attr] = {"S": self._get_hashed_payload(data=payload)}
            pending.append((i, item))
        for start in range(0, len(pending), TRANSACTION_MAX):
            chunk = pending[start : start + TRANSACTION_MAX]
            while chunk:
                chunk = self._claim(chunk, answers, now)
        return answers

    def _claim(
        self,
        chunk: list[tuple[int, dict[str, Any]]],
        answers: list[DataRecord | str | None],
        now: dt.datetime,
    ) -> list[tuple[int, dict[str, Any]]]:
        """One transaction; returns the entries to try again (their condition held but
        another entry's did not)."""
        condition = (
            "attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND "
            "attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)"
        )
        names = {
            "#id": self.key_attr,
            "#expiry": self.expiry_attr,
            "#in_progress_expiry": self.in_progress_expiry_attr,
            "#status": self.status_attr,
        }
        values = {
            ":now": {"N": str(int(now.timestamp()))},
            ":now_in_millis": {"N": str(int(now.timestamp() * 1000))},
            ":inprogress": {"S": "INPROGRESS"},
        }
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": item,
                            "ConditionExpression": condition,
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": values,
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    }
                    for _, item in chunk
                ]
            )
            return []
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons: list[dict[str, Any]] = list(exc.response.get("CancellationReasons", []))  # type: ignore[arg-type]
        again = []
        for (i, item), reason in zip(chunk, reasons, strict=False):
            code = reason.get("Code", "None")
            if code in ("None", "", None):
                again.append((i, item))
            elif code == "ConditionalCheckFailed":
                answers[i] = self._existing(reason.get("Item"), item)
            else:  # TransactionConflict, or anything else DynamoDB may name
                answers[i] = CONFLICT
        return again

    def _existing(self, old: dict[str, Any] | None, item: dict[str, Any]) -> DataRecord | str:
        if old is not None:
            return self._item_to_data_record(old)
        key = item[self.sort_key_attr or self.key_attr]["S"]
        try:
            return self._get_record(key)
        except IdempotencyItemNotFoundError:
            return CONFLICT  # gone again since: the retry will claim it

    def save_success_many(self, completed: Sequence[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """Each (payload, result) recorded COMPLETED with the result (as `save_success`)."""
        expiry = str(self._get_expiry_timestamp())
        puts = []
        for payload, result in completed:
            key = self._get_hashed_idempotency_key(data=payload)
            assert key is not None
            item: dict[str, Any] = {
                **self._get_key(key),
                self.expiry_attr: {"N": expiry},
                self.status_attr: {"S": "COMPLETED"},
                self.data_attr: {"S": json.dumps(result, cls=Encoder, sort_keys=True)},
            }
            if self.payload_validation_enabled:
                item[self.validation_key_attr] = {"S": self._get_hashed_payload(data=payload)}
            puts.append({"PutRequest": {"Item": item}})
        batch_write(self.client, self.table_name, puts)
