"""The foundation demo: signed LINE, shop and canonical events posted over HTTP to
`kairos local`, then the members they made. Stories from the brands Kairos serves: a
breakfast shop's QR-code joiners, a mattress shop, a dental clinic."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from kairos.ingest.signatures import sign_kairos, sign_line
from kairos.store.members import MemberRepository
from kairos_dev.local.display import console, print_member
from kairos_dev.local.runtime import LocalRuntime

T0 = 1_772_326_800_000  # 2026-03-01T09:00:00+08:00


def _line_event(kind: str, user: str, n: int, minutes: int, **extra: Any) -> dict[str, Any]:
    event = {
        "type": kind,
        "mode": "active",
        "timestamp": T0 + minutes * 60_000,
        "source": {"type": "user", "userId": user},
        "webhookEventId": f"01DEMO{n:020d}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": "demo-reply-token",
    }
    event.update(extra)
    return event


def line_story() -> dict[str, Any]:
    """Three neighbours scan the breakfast shop's QR code and join its LINE account."""
    return {
        "destination": "Ubreakfast",
        "events": [
            _line_event("follow", "U-breakfast-amy", 1, 0, follow={"isUnblocked": False}),
            _line_event("follow", "U-breakfast-ben", 2, 3, follow={"isUnblocked": False}),
            _line_event("follow", "U-breakfast-cho", 3, 7, follow={"isUnblocked": False}),
            _line_event(
                "message", "U-breakfast-amy", 4, 9,
                message={"id": "1", "type": "text", "quoteToken": "q", "text": "請問蛋餅有素食的嗎?"},
            ),
            _line_event("postback", "U-breakfast-cho", 5, 12, postback={"data": "quiz=latte-2"}),
        ],
    }  # fmt: skip


def canonical_story() -> list[dict[str, Any]]:
    def event(eid: str, kind: str, member: dict[str, str], data: dict[str, Any], at: str) -> dict[str, Any]:  # fmt: skip
        return {"id": eid, "type": kind, "time": at, "member": member, "data": data}

    return [
        event("demo-qr-amy", "profile.updated", {"line_user_id": "U-breakfast-amy"},
              {"name": "林小美", "gender": "female", "join_source": "store-qr",
               "birthday": "1992-03-08"}, "2026-03-01T09:01:00+08:00"),
        event("demo-qr-ben", "profile.updated", {"line_user_id": "U-breakfast-ben"},
              {"name": "陳大文", "gender": "male", "join_source": "store-qr"},
              "2026-03-01T09:04:00+08:00"),
        event("demo-quiz-cho", "tag.added", {"line_user_id": "U-breakfast-cho"},
              {"tag": "likes-latte"}, "2026-03-01T09:12:30+08:00"),
        event("demo-dental-1", "appointment.completed", {"phone": "+886912000111"},
              {"treatment": "cleaning", "dentist": "dr-wu"}, "2026-03-02T15:00:00+08:00"),
        event("demo-dental-2", "profile.updated", {"phone": "+886912000111"},
              {"name": "王志明", "consent": {"sms": True}}, "2026-03-02T15:01:00+08:00"),
    ]  # fmt: skip


def order_story() -> list[dict[str, Any]]:
    """A mattress bought, a friend referred, and an order cancelled."""
    mattress = {
        "sku": "MAT-QUEEN",
        "name": "獨立筒床墊 雙人",
        "category": "mattress",
        "qty": 1,
        "price": 28800,
    }
    pillow = {"sku": "PIL-LATEX", "name": "乳膠枕", "category": "pillow", "qty": 2, "price": 1800}
    return [
        {"order_id": "YM-1001", "created_at": "2026-03-03T20:15:00+08:00",
         "customer": {"external_id": "yuemeng-42", "email": "chiu@example.com", "phone": "+886933000222"},
         "total": 32400, "items": [mattress, pillow]},
        {"order_id": "YM-1002", "created_at": "2026-03-10T11:00:00+08:00",
         "customer": {"external_id": "yuemeng-77", "email": "lee@example.com"},
         "total": 28800, "items": [mattress], "referred_by": {"external_id": "yuemeng-42"}},
        {"order_id": "YM-1003", "created_at": "2026-03-11T11:00:00+08:00",
         "customer": {"external_id": "yuemeng-77"}, "total": 3600, "items": [pillow]},
        {"order_id": "YM-1003", "status": "cancelled", "created_at": "2026-03-12T09:00:00+08:00",
         "customer": {"external_id": "yuemeng-77"}, "total": 3600, "items": [pillow]},
    ]  # fmt: skip


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def run_foundation_demo(project_dir: str | None) -> int:
    runtime = LocalRuntime.start(project_dir, port=0, pumps=False)
    try:
        api, secrets = runtime.api.url, runtime.stack.secrets
        console.rule("[bold]Kairos demo: webhooks into member profiles")
        body = json.dumps(line_story(), ensure_ascii=False).encode()
        status, answer = post(f"{api}/line/webhook", body,
                              {"X-Line-Signature": sign_line(body, secrets.line_channel_secret),
                               "Content-Type": "application/json"})  # fmt: skip
        console.print(f"POST /line/webhook → {status} {answer.get('applied')} applied")
        status, answer = post(f"{api}/line/webhook", body,
                              {"X-Line-Signature": sign_line(body, secrets.line_channel_secret)})  # fmt: skip
        console.print(
            f"POST /line/webhook (LINE redelivers) → {status} {answer.get('duplicates')} duplicates"
        )
        body = json.dumps(canonical_story(), ensure_ascii=False).encode()
        status, answer = post(f"{api}/events", body,
                              {"X-Kairos-Signature": sign_kairos(body, secrets.webhook_secret)})  # fmt: skip
        console.print(f"POST /events → {status} {answer.get('applied')} applied")
        for order in order_story():
            body = json.dumps(order, ensure_ascii=False).encode()
            status, answer = post(f"{api}/shop/orders", body,
                                  {"X-Kairos-Signature": sign_kairos(body, secrets.webhook_secret)})  # fmt: skip
            console.print(
                f"POST /shop/orders {order['order_id']} {order.get('status', 'created')} → {status}"
            )
        status, answer = post(f"{api}/events", b'{"id": "x"}', {"X-Kairos-Signature": "sha256=bad"})
        console.print(f"POST /events with a bad signature → {status} {answer.get('error')}")

        repo = MemberRepository(runtime.stack.tables["main"], runtime.stack.client("dynamodb"))
        for kind, value in [
            ("line_user_id", "U-breakfast-amy"),
            ("line_user_id", "U-breakfast-cho"),
            ("external_id", "yuemeng-42"),
            ("external_id", "yuemeng-77"),
            ("phone", "+886912000111"),
        ]:
            member_id = repo.find(kind, value)
            member = repo.get(member_id) if member_id else None
            if member is None:
                console.print(f"[red]missing member for {kind} {value}")
                return 1
            console.rule(f"{kind} = {value}")
            print_member(member, repo.timeline(member.member_id))
        return 0
    finally:
        runtime.stop()
