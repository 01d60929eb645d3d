"""The sender's half of rich menu linking: `MenuLinks` messages → LINE's bulk link and
unlink endpoints, 500 users a request.

One SQS batch's messages of the same menu are packed into as few requests as fit
(whole messages, at most 500 users a request), each request drawing one token of the
shared `line.richmenu` rate (`channels.line.richmenu_rate_per_second`). A menu id is
resolved to the LINE id its alias points at once per batch. LINE answers 202 and links
asynchronously whom it can (a user who blocked the account is skipped by LINE too; the
evaluator does not even ask for them). When a request fails:

- throttled (429), 5xx or unreachable → only that request's messages are reported
  failed and come back from the queue (bulk links are idempotent, so the requests that
  did go through are not repeated and a repeat would be harmless);
- refused (another 4xx: a menu not deployed, say) → logged and dropped, counted
  in the batch's `rich menu links` log line; redelivering would only fail again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kairos.delivery.limiter import RateLimiter
from kairos.delivery.model import Throttled
from kairos.observability import logger
from kairos.richmenus.api import BULK_MAX, LineApi, LineApiError
from kairos.richmenus.links import MenuLinks


@dataclass
class LinkReport:
    requests: int = 0
    users: int = 0
    failed: list[str] = field(default_factory=list)
    """Message ids to report failed (they come back)."""
    refused: int = 0


class MenuLinker:
    def __init__(
        self, api: LineApi, limiter: Callable[[], RateLimiter], rate_per_second: float
    ) -> None:
        self.api = api
        self.new_limiter = limiter
        self.rate = rate_per_second

    def deliver(self, records: Sequence[Mapping[str, Any]]) -> LinkReport:
        """SQS records whose bodies are `MenuLinks`; their failures in the report."""
        report = LinkReport()
        by_menu: dict[str | None, list[tuple[str, MenuLinks]]] = {}
        for record in records:
            message_id = str(record.get("messageId"))
            try:
                links = MenuLinks.model_validate_json(record.get("body", ""))
            except ValueError:
                logger.error("not a rich menu link message", extra={"message_id": message_id})
                report.failed.append(message_id)  # to the dead-letter queue in the end
                continue
            by_menu.setdefault(links.menu, []).append((message_id, links))
        limiter = self.new_limiter()
        line_ids: dict[str, str | None] = {}
        try:
            for menu, messages in by_menu.items():
                for chunk in _requests(messages):
                    self._send(menu, chunk, limiter, line_ids, report)
        finally:
            limiter.release_unused()
        if report.requests or report.failed or report.refused:
            logger.info(
                "rich menu links",
                extra={
                    "requests": report.requests,
                    "users": report.users,
                    "retry": len(report.failed),
                    "refused": report.refused,
                },
            )
        return report

    def _send(
        self,
        menu: str | None,
        chunk: list[tuple[str, MenuLinks]],
        limiter: RateLimiter,
        line_ids: dict[str, str | None],
        report: LinkReport,
    ) -> None:
        users = [u for _, links in chunk for u in links.users]
        ids = [message_id for message_id, _ in chunk]
        try:
            limiter.acquire("line.richmenu", self.rate)
            if menu is None:
                self.api.unlink(users)
            else:
                if menu not in line_ids:
                    line_ids[menu] = self.api.alias(menu)
                line_id = line_ids[menu]
                if line_id is None:
                    raise LineApiError(400, f"rich menu {menu} is not deployed")
                self.api.link(line_id, users)
        except Throttled:
            report.failed.extend(ids)
            return
        except LineApiError as exc:
            if exc.retryable:
                logger.info(
                    "rich menu links to retry",
                    extra={"status": exc.status, "menu": menu, "users": len(users)},
                )
                report.failed.extend(ids)
            else:
                logger.error(
                    "rich menu links refused",
                    extra={
                        "status": exc.status,
                        "menu": menu,
                        "users": len(users),
                        "reason": exc.message[:200],
                    },
                )
                report.refused += len(users)
            return
        report.requests += 1
        report.users += len(users)


def _requests(messages: list[tuple[str, MenuLinks]]) -> list[list[tuple[str, MenuLinks]]]:
    """Whole messages into requests of at most BULK_MAX users (first fit, in order)."""
    out: list[list[tuple[str, MenuLinks]]] = []
    sizes: list[int] = []
    for message in messages:
        n = len(message[1].users)
        for i, size in enumerate(sizes):
            if size + n <= BULK_MAX:
                out[i].append(message)
                sizes[i] += n
                break
        else:
            out.append([message])
            sizes.append(n)
    return out
