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

    def _erasure(self) -> Any:
        from kairos.store.erasure import ErasureRepository

        return ErasureRepository(self.members.table, self.members.client)

    def change_tag(self, member_id: str, tag: str, *, add: bool) -> list[str] | None:
        """The member's tags afterwards; None when there is no such member."""
        from datetime import UTC, datetime

        from kairos.members.service import change_tag

        result = change_tag(
            self.members, member_id, tag, add=add, now=datetime.now(UTC), brand=self._brand(),
            request=f"cli-{uuid.uuid4()}",
        )  # fmt: skip
        if result is None:
            return None
        member = self.get(member_id)
        return list(member.tags) if member else []

    def add_note(self, member_id: str, author: str | None, text: str) -> bool:
        """False when there is no such member; the author defaults to the login name."""
        from datetime import UTC, datetime

        from kairos.members.service import add_note

        result = add_note(
            self.members, member_id, author or getpass.getuser(), text, now=datetime.now(UTC),
            brand=self._brand(), request=f"cli-{uuid.uuid4()}",
        )  # fmt: skip
        return result is not None

    def erase_lookup(self, kind: str, value: str) -> tuple[str | None, str]:
        """The member an identifier names, or None and why: `erased before` when a
        tombstone holds it, `never known` otherwise."""
        from kairos.members.erase import find_member

        member_id, erased_before = find_member(self._erasure(), kind, value, self._member_id_key())
        return member_id, "erased before" if erased_before else "never known"

    def erase(self, member_id: str, request: str) -> Erasure:
        from datetime import UTC, datetime

        from kairos.members.erase import erase
        from kairos_dev.brand import brand_segments

        return erase(
            member_id, self._erasure(), datetime.now(UTC), request,
            member_id_key=self._member_id_key(), segment_ids=brand_segments(self.project),
        )  # fmt: skip

    def merge(self, keep: str, absorb: str, request: str) -> Merged:
        from datetime import UTC, datetime

        from kairos.members.merge import merge
        from kairos.store.merging import MergeRepository
        from kairos_dev.brand import brand_segments

        store = MergeRepository(self.members.table, self.members.client)
        return merge(
            keep, absorb, store, datetime.now(UTC), request,
            segment_ids=brand_segments(self.project),
        )  # fmt: skip
