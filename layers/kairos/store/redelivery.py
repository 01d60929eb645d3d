"""Giving a received message back to its SQS queue for later (ports.Redelivery).

`ChangeMessageVisibility` to the delay; the sender then reports the record failed, so
SQS keeps it and hands it over again when the delay is over. What is left of a group
message to retry goes back as a new message instead (`SendMessage` with a delay). The
queue URL is looked up once per queue ARN (`GetQueueUrl`) and kept for the container's
life; the SQS client is asked for on first use (most batches return nothing).
"""

from __future__ import annotations

from kairos.aws import AwsClients


class QueueRedelivery:
    def __init__(self, aws: AwsClients) -> None:
        self.aws = aws
        self._urls: dict[str, str] = {}

    def return_later(self, queue: str, receipt: str, delay_seconds: int) -> None:
        self.aws.client("sqs").change_message_visibility(
            QueueUrl=self._url(queue), ReceiptHandle=receipt, VisibilityTimeout=delay_seconds
        )

    def send_later(self, queue: str, body: str, delay_seconds: int) -> None:
        self.aws.client("sqs").send_message(
            QueueUrl=self._url(queue), MessageBody=body, DelaySeconds=delay_seconds
        )

    def _url(self, arn: str) -> str:
        url = self._urls.get(arn)
        if url is None:
            _, _, _, _, account, name = arn.split(":", 5)
            response = self.aws.client("sqs").get_queue_url(
                QueueName=name, QueueOwnerAWSAccountId=account
            )
            url = self._urls[arn] = str(response["QueueUrl"])
        return url
