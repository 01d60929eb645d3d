"""Which Amazon SES identity may send a brand's email, checked before anything is sent.

The sender's role may send only as the stack's SES identity (`kairos:emailIdentity`), so
an identity that does not cover `kairos.yaml: channels.email.from` means every email is
denied at send time. `cdk synth` and `kairos validate` call `resolve_identity` instead:
the identity is derived from the `from` address when not given, and checked against it
when given. Pure: no AWS calls (whether SES has verified it is `kairos doctor`'s job).

SES lets an identity send as itself: an address identity as that address, a domain
identity as any address at the domain or at one of its subdomains.
"""

from __future__ import annotations

from email.utils import parseaddr


class IdentityMismatch(ValueError):
    """The SES identity cannot send as the brand's `from` address."""


def sender_address(from_: str) -> str:
    """`Yuemeng <hello@yuemeng.example>` → `hello@yuemeng.example`."""
    address = parseaddr(from_)[1].strip().lower()
    if address.count("@") != 1 or not all(address.split("@")):
        raise IdentityMismatch(f"kairos.yaml channels.email.from {from_!r} is not an email address")
    return address


def covers(identity: str, from_: str) -> bool:
    """Can SES identity `identity` (an address or a domain) send as `from_`?"""
    address = sender_address(from_)
    wanted = identity.strip().lower().rstrip(".")
    if "@" in wanted:
        return wanted == address
    domain = address.rpartition("@")[2]
    return domain == wanted or domain.endswith(f".{wanted}")


def resolve_identity(configured: str | None, from_: str) -> str:
    """The identity to grant: `configured` if it covers `from_`, else the `from` domain
    when nothing is configured. Raises IdentityMismatch with the fix."""
    address = sender_address(from_)
    domain = address.rpartition("@")[2]
    if not configured:
        return domain
    if not covers(configured, from_):
        raise IdentityMismatch(
            f"SES identity {configured!r} (kairos:emailIdentity) cannot send as "
            f"{address!r} (kairos.yaml channels.email.from): the sender would be denied "
            f"every email. Use -c kairos:emailIdentity={domain} (verified in SES), leave "
            "it unset to use the from address's domain, or change channels.email.from."
        )
    return configured.strip().lower().rstrip(".")
