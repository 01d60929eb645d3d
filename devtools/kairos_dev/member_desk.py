"""Where `kairos members …` reads and changes members: the table (`--table`, KAIROS_TABLE
or the running `kairos local`), or the deployed stack's admin API (`--api URL`,
kairos_dev.admin_client). Both answer the same calls — MemberRepository's reads and
staff's changes (`change_tag`, `add_note`, `erase`, `merge`) — so each command has one
body whatever it talks to.
"""

from __future__ import annotations

import argparse
import getpass
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when called: `kairos --help` need not load the store
    from kairos.members.erase import Erasure
    from kairos.members.merge import Merged

API_HELP = (
    "call the deployed stack's admin API at URL (its ApiUrl output) instead of the table, "
    "signed (SigV4) with your AWS credentials; they need the stack's AdminPolicyArn policy"
)


def add_api_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api", metavar="URL", help=API_HELP)


def member_desk(args: argparse.Namespace) -> Any:
    """An AdminClient with `--api`, else a TableDesk."""
    if getattr(args, "api", None):
        from kairos_dev.admin_client import AdminClient

        return AdminClient(args.api)
    return TableDesk(getattr(args, "table", None), getattr(args, "project", None))


class TableDesk:
    """The table itself — MemberRepository's reads — with staff's changes applied by
    kairos.members as the admin API applies them."""

    def __init__(self, table: str | None, project: str | None = None) -> None:
        from kairos_dev.brand import member_repository

        # reads the running `kairos local`'s environment when there is no --table
        self.members = member_repository(table)
        self.project = project

    def __getattr__(self, name: str) -> Any:
        return getattr(self.members, name)  # get, find, timeline, tagged, scan_members, …

    def _member_id_key(self) -> bytes:
        from kairos.aws import Boto3Clients
        from kairos.config import RuntimeConfig
        from kairos.secrets import SecretStore

        name = RuntimeConfig.from_env().member_id_secret_name
        return SecretStore(Boto3Clients()).member_id_key(name)

    def _brand(self) -> Any:
        from kairos.members.service import Brand
        from kairos_dev.brand import brand_zone

        return Brand(zone=brand_zone(self.project), member_id_key=self._member_id_key())

    def _caller(self) -> str:
        """Who is changing the table: the IAM principal of these credentials (as the
        admin API records it), or the login name where no STS answers."""
        from botocore.exceptions import BotoCoreError, ClientError

        from kairos.aws import Boto3Clients

        try:
            return str(Boto3Clients().client("sts").get_caller_identity()["Arn"])
        except (BotoCoreError, ClientError):
            return f"cli:{getpass.getuser()}"

    def _audit(
        self, by: str, action: str, member_id: str, detail: dict[str, Any], request: str
    ) -> None:
        """Record the change in the audit trail, as the admin API does (role `iam`)."""
        from datetime import UTC, datetime

        from kairos.members import audit
        from kairos.store.audit import AuditRepository

        audit.record(
            AuditRepository(self.members.table, self.members.client),
            now=datetime.now(UTC), request_id=request, by=by, role=audit.IAM_ROLE,
            action=action, member_id=member_id, detail=detail,
        )  # fmt: skip

    def _erasure(self) -> Any:
        from kairos.store.erasure import ErasureRepository

        return ErasureRepository(self.members.table, self.members.client)

    def change_tag(self, member_id: str, tag: str, *, add: bool) -> list[str] | None:
        """The member's tags afterwards; None when there is no such member."""
        from datetime import UTC, datetime

        from kairos.members import audit
        from kairos.members.service import change_tag

        request, by = f"cli-{uuid.uuid4()}", self._caller()
        result = change_tag(
            self.members, member_id, tag, add=add, now=datetime.now(UTC), brand=self._brand(),
            request=request, by=by,
        )  # fmt: skip
        if result is None:
            return None
        action = audit.TAG_ADDED if add else audit.TAG_REMOVED
        self._audit(by, action, member_id, {"tag": tag}, request)
        member = self.get(member_id)
        return list(member.tags) if member else []

    def add_note(self, member_id: str, author: str | None, text: str) -> bool:
        """False when there is no such member; the author defaults to the login name."""
        from datetime import UTC, datetime

        from kairos.members import audit
        from kairos.members.service import add_note

        request, by = f"cli-{uuid.uuid4()}", self._caller()
        result = add_note(
            self.members, member_id, author or getpass.getuser(), text, now=datetime.now(UTC),
            brand=self._brand(), request=request, by=by,
        )  # fmt: skip
        if result is None:
            return False
        self._audit(by, audit.NOTE_ADDED, member_id, {"chars": len(text)}, request)
        return True

    def erase_lookup(self, kind: str, value: str) -> tuple[str | None, str]:
        """The member an identifier names, or None and why: `erased before` when a
        tombstone holds it, `never known` otherwise."""
        from kairos.members.erase import find_member

        member_id, erased_before = find_member(self._erasure(), kind, value, self._member_id_key())
        return member_id, "erased before" if erased_before else "never known"

    def erase(self, member_id: str, request: str) -> Erasure:
        from datetime import UTC, datetime

        from kairos.members import audit
        from kairos.members.erase import erase
        from kairos_dev.brand import brand_segments

        done = erase(
            member_id, self._erasure(), datetime.now(UTC), request,
            member_id_key=self._member_id_key(), segment_ids=brand_segments(self.project),
        )  # fmt: skip
        if done.status == "erased":
            detail = {"request": request}
            self._audit(self._caller(), audit.ERASED, member_id, detail, f"cli-{uuid.uuid4()}")
        return done

    def merge(self, keep: str, absorb: str, request: str) -> Merged:
        from datetime import UTC, datetime

        from kairos.members import audit
        from kairos.members.merge import merge
        from kairos.store.merging import MergeRepository
        from kairos_dev.brand import brand_segments

        store = MergeRepository(self.members.table, self.members.client)
        by = self._caller()
        done = merge(
            keep, absorb, store, datetime.now(UTC), request,
            segment_ids=brand_segments(self.project), by=by,
        )  # fmt: skip
        if done.status == "merged":
            detail = {"absorbed": absorb, "request": request}
            self._audit(by, audit.MERGED, keep, detail, f"cli-{uuid.uuid4()}")
        return done
