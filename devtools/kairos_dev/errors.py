"""AWS configuration problems as one line with the fix, instead of a botocore traceback.

`kairos` commands reach DynamoDB with the ordinary AWS configuration (region,
credentials, `AWS_ENDPOINT_URL` for the local emulator); when that is missing or wrong,
a person needs to know what to set, not where in botocore it failed.
"""

from __future__ import annotations

import os

from botocore import exceptions as aws


class AdminApiError(Exception):
    """A call to the admin API (`--api`) that failed, as one line with what to do."""


_CREDENTIAL_CODES = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "AccessDeniedException",
}


def aws_problem(exc: BaseException) -> str | None:
    """One line saying what is wrong and how to fix it, or None when `exc` is not an
    AWS configuration problem (then it is a bug and keeps its traceback)."""
    from kairos.members.service import InvalidRequest

    if isinstance(exc, AdminApiError | InvalidRequest):
        return str(exc)  # a refused request (the API's 400) says what is wrong already
    if isinstance(exc, aws.NoRegionError):
        return (
            "no AWS region: set AWS_DEFAULT_REGION (e.g. `export "
            "AWS_DEFAULT_REGION=ap-northeast-1`) or a region in ~/.aws/config, or run "
            "`kairos local` in this directory"
        )
    if isinstance(exc, aws.NoCredentialsError | aws.PartialCredentialsError):
        return (
            "no AWS credentials: run `aws configure` (or `aws sso login` with AWS_PROFILE "
            "set), or run `kairos local` in this directory"
        )
    if isinstance(exc, aws.ProfileNotFound):
        return f"{exc}: check AWS_PROFILE against ~/.aws/config"
    if isinstance(exc, aws.TokenRetrievalError | aws.SSOError):
        return "the AWS SSO session has expired: run `aws sso login`"
    if isinstance(
        exc,
        aws.EndpointConnectionError | aws.ConnectTimeoutError | aws.ConnectionClosedError,
    ):
        endpoint = getattr(exc, "kwargs", {}).get("endpoint_url") or os.environ.get(
            "AWS_ENDPOINT_URL", "AWS"
        )
        return (
            f"cannot reach {endpoint}: if it is `kairos local`, start it again (or delete "
            ".kairos/local.json when it is gone); otherwise check AWS_ENDPOINT_URL and "
            "the network"
        )
    if isinstance(exc, aws.ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "")
        if code in _CREDENTIAL_CODES:
            return (
                f"AWS refused the credentials ({code}): refresh them (`aws sso login`, "
                "`aws configure`) or pick another AWS_PROFILE"
            )
        if code == "ResourceNotFoundException":
            return (
                f"{message or 'table not found'}: check --table / KAIROS_TABLE and "
                "AWS_DEFAULT_REGION, or run `kairos local` in this directory"
            )
    return None
