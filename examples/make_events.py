# ruff: noqa: E501  (story data reads best one record per line)
"""Regenerate `events.jsonl` and `members.csv`: a year (2026) of a small brand.

    python examples/make_events.py

Deterministic (fixed seed), standard library only. Every journey in `journeys/` gets
members who enter it, and the edge cases that make its rules visible: non-openers and
openers, redeemed and forgotten coupons, a cancelled booking, a blocked friend who comes
back, a 29 February birthday, a member who goes dormant and one who is won back.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
TZ = "+08:00"
rng = random.Random(20260101)
events: list[dict[str, Any]] = []
members: list[dict[str, str]] = []
_counter = 0


def at(day: str, clock: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}:00{TZ}")


def emit(
    when: datetime, kind: str, who: dict[str, str], data: dict[str, Any] | None = None
) -> None:
    global _counter
    _counter += 1
    events.append(
        {
            "id": f"evt-{_counter:05d}",
            "type": kind,
            "time": when.isoformat(),
            "member": who,
            "data": data or {},
        }
    )


def member(n: int, name: str, *, line: bool = True, email: bool = True, phone: bool = True,
           shop: bool = False, **profile: str) -> dict[str, str]:  # fmt: skip
    who: dict[str, str] = {}
    if line:
        who["line_user_id"] = "U" + f"{rng.getrandbits(128):032x}"
    if email:
        who["email"] = f"member{n:02d}@example.com"
    if phone:
        who["phone"] = f"+8869{rng.randrange(10_000_000, 99_999_999)}"
    if shop:
        who["external_id"] = f"shop-cust-{n:03d}"
    members.append({"name": name, **who, **profile})
    return who


_orders = 0


def order(when: datetime, who: dict[str, str], items: list[tuple[str, str, str, int, int]]) -> None:
    global _orders
    _orders += 1
    total = sum(qty * price for _, _, _, qty, price in items)
    emit(when, "order.created", who, {
        "order_id": f"A{1000 + _orders}", "total": total, "currency": "TWD",
        "items": [{"sku": s, "name": nm, "category": c, "qty": q, "price": p} for s, nm, c, q, p in items],
    })  # fmt: skip


MATTRESS = ("MAT-QUEEN", "獨立筒床墊（雙人）", "mattress", 1, 28800)
MATTRESS_S = ("MAT-SINGLE", "獨立筒床墊（單人）", "mattress", 1, 16800)
PILLOW = ("PIL-LATEX", "乳膠枕", "bedding", 2, 1280)
SHEETS = ("SHEET-COT", "純棉床包組", "bedding", 1, 1680)
LATTE = ("LATTE", "拿鐵", "coffee", 1, 75)
AMERICANO = ("AMERICANO", "美式咖啡", "coffee", 1, 55)
BURGER = ("BURGER-SET", "豬肉起司堡套餐", "breakfast", 1, 95)
TOAST = ("TOAST-HAM", "火腿蛋吐司", "breakfast", 1, 45)


def mattress_buyers() -> None:
    """Mattress care every six months; two of them become VIPs on cumulative spend."""
    names = ["林怡君", "陳志明", "張雅婷", "王俊傑", "李淑芬"]
    for i, name in enumerate(names):
        who = member(1 + i, name, line=i % 2 == 0, shop=True)
        day = at(f"2026-0{1 + i}-1{i}", "14:30")
        emit(
            day - timedelta(minutes=5),
            "profile.updated",
            who,
            {"name": name, "birthday": f"198{i}-0{3 + i}-1{i}"},
        )
        order(day, who, [MATTRESS if i % 2 == 0 else MATTRESS_S, PILLOW])
    # 林怡君 keeps buying: bedding later pushes her over 10,000 again and again (VIP once).
    first = members[0]
    who = {k: first[k] for k in ("external_id", "email")}
    order(at("2026-03-20", "20:10"), who, [SHEETS])
    order(at("2026-07-02"), who, [SHEETS, PILLOW])
    # 陳美華 never buys a mattress: bedding, order after order, until 10,000 makes her VIP.
    who = member(6, "陳美華", shop=True)
    emit(at("2026-01-08", "12:00"), "profile.updated", who, {"name": "陳美華", "gender": "female"})
    for month in ("01-08", "03-12", "05-30", "08-15", "10-02"):
        order(at(f"2026-{month}", "12:05"), who, [SHEETS, PILLOW])


def breakfast_qr() -> None:
    """Store QR friends: a coupon every 7 days, by gender; one blocks and comes back."""
    people = [("黃小萱", "female"), ("吳建宏", "male"), ("蔡佩珊", "female"), ("鄭宇翔", "male"),
              ("許雅雯", "female"), ("周柏翰", None), ("謝欣怡", "female"), ("郭家豪", "male")]  # fmt: skip
    for i, (name, gender) in enumerate(people):
        who = member(10 + i, name, email=False, phone=i % 3 == 0)
        day = at(f"2026-03-0{1 + i}", f"0{7 + i % 2}:1{i}")
        profile: dict[str, Any] = {"name": name, "join_source": "store-qr", "region": "台北"}
        if gender:
            profile["gender"] = gender
        emit(day, "profile.updated", who, profile)
        emit(day + timedelta(seconds=20), "line.follow", who, {"unblocked": False})
        order(day + timedelta(minutes=3), who, [TOAST, LATTE] if i % 2 else [BURGER])
    blocker = {"line_user_id": members[-8]["line_user_id"]}
    emit(at("2026-04-02", "12:00"), "line.unfollow", blocker)
    emit(at("2026-05-20", "19:30"), "line.follow", blocker, {"unblocked": True})


def dental() -> None:
    """Recall by treatment: cleaning → 6 months, filling → 1 month; one books ahead."""
    cases = [("劉美玲", "cleaning"), ("楊志偉", "filling"), ("洪淑惠", "cleaning"),
             ("邱冠宇", "filling"), ("曾雅琪", "cleaning")]  # fmt: skip
    for i, (name, treatment) in enumerate(cases):
        who = member(20 + i, name, email=i % 2 == 0)
        emit(at(f"2026-02-{10 + i}", "09:30"), "profile.updated", who, {"name": name})
        emit(at(f"2026-02-{10 + i}", "11:00"), "appointment.completed", who,
             {"appointment_id": f"D{200 + i}", "treatment": treatment, "dentist": "王醫師"})  # fmt: skip
    booked = {"phone": members[-1]["phone"]}
    emit(
        at("2026-05-02", "15:00"),
        "appointment.booked",
        booked,
        {"appointment_id": "D300", "date": "2026-08-10"},
    )


def hotel() -> None:
    """Booking reminder the day before, check-in notes, thanks after check-out."""
    stays = [("蘇志豪", "2026-04-03", "2026-04-05", True), ("葉佳穎", "2026-07-18", "2026-07-20", True),
             ("賴俊宏", "2026-10-09", "2026-10-11", False), ("潘怡如", "2026-12-24", "2026-12-26", True)]  # fmt: skip
    for i, (name, check_in, check_out, stays_on) in enumerate(stays):
        who = member(30 + i, name)
        booking = f"B{7000 + i}"
        booked_at = datetime.fromisoformat(f"{check_in}T21:30:00{TZ}") - timedelta(days=12 + 5 * i)
        emit(booked_at - timedelta(minutes=2), "profile.updated", who, {"name": name})
        emit(booked_at, "booking.confirmed", who, {"booking_id": booking, "check_in": check_in,
             "check_out": check_out, "room": "山景雙人房", "nights": 2})  # fmt: skip
        if stays_on:
            emit(at(check_out, "10:40"), "booking.checked_out", who, {"booking_id": booking})
        else:
            emit(booked_at + timedelta(days=3), "booking.cancelled", who, {"booking_id": booking})


def welcome_quiz() -> None:
    """New friends get the quiz; some answer (and are tagged), some need the nudge."""
    answers = [
        "quiz=frappuccino-1",
        None,
        "quiz=frappuccino-3",
        "quiz=frappuccino-2",
        None,
        "quiz=frappuccino-3",
    ]
    for i, answer in enumerate(answers):
        who = member(40 + i, f"好友{i + 1}", email=False, phone=False)
        day = at(f"2026-01-{12 + 3 * i}", "20:4" + str(i))
        emit(day, "line.follow", who, {"unblocked": False})
        if answer:
            emit(day + timedelta(hours=2 + 7 * i), "line.postback", who, {"data": answer})
        else:
            emit(day + timedelta(days=1), "line.message", who, {"text": "請問營業時間？"})


def coupons() -> None:
    """Expiry reminders: redeemed coupons are not reminded; another coupon's redemption
    does not count."""
    for i in range(5):
        who = member(50 + i, f"會員{50 + i}", line=i != 2, shop=True)
        issued = at(f"2026-0{4 + i}-0{1 + i}", "10:00")
        coupon = f"CP-{900 + i}"
        emit(
            issued,
            "coupon.issued",
            who,
            {
                "coupon_id": coupon,
                "expires_at": (issued + timedelta(days=60)).isoformat(),
                "amount": 100,
            },
        )
        if i == 1:
            emit(issued + timedelta(days=20), "coupon.redeemed", who, {"coupon_id": coupon})
        if i == 3:
            emit(issued + timedelta(days=10), "coupon.redeemed", who, {"coupon_id": "CP-OTHER"})


def edm() -> None:
    """Spring sale email: openers are left alone, non-openers get a new subject, a buyer exits."""
    for i in range(6):
        who = member(60 + i, f"訂閱者{i + 1}", line=False, phone=i % 2 == 0)
        emit(
            at("2026-03-15", "09:00"),
            "profile.updated",
            who,
            {"name": f"訂閱者{i + 1}", "consent": {"email": True}},
        )
        emit(at("2026-03-16", "10:00"), "tag.added", who, {"tag": "spring-sale"})
        if i in (0, 3):
            emit(
                at("2026-03-16", "12:3" + str(i)),
                "email.opened",
                who,
                {"journey": "edm-resend", "step": "first-email"},
            )
        if i == 4:
            order(at("2026-03-17", "22:15"), who, [SHEETS])
    emit(
        at("2026-03-20", "08:00"),
        "unsubscribed",
        {"email": "member65@example.com"},
        {"channel": "email"},
    )


def weekend_coffee() -> None:
    """Regulars who buy coffee every weekend; one stops coming and goes dormant."""
    for i in range(4):
        who = member(70 + i, f"咖啡客{i + 1}", shop=True, email=i != 1)
        start = at("2026-01-03", "08:4" + str(i))  # a Saturday
        weeks = 40 if i != 3 else 12
        for w in range(weeks):
            day = start + timedelta(weeks=w, days=(w + i) % 2)
            if rng.random() < 0.85:
                order(
                    day,
                    who,
                    [LATTE if (w + i) % 3 else AMERICANO] + ([TOAST] if w % 4 == 0 else []),
                )


def birthdays_and_dormancy() -> None:
    """Birthdays (one on 29 February) and a one-off buyer who goes dormant, then returns."""
    who = member(80, "范姿君", birthday="1992-02-29")
    emit(
        at("2026-01-05", "13:00"),
        "profile.updated",
        who,
        {"name": "范姿君", "birthday": "1992-02-29", "gender": "female"},
    )
    order(at("2026-01-05", "13:05"), who, [BURGER, LATTE])
    who = member(81, "石家銘", shop=True)
    emit(
        at("2026-02-01", "11:00"),
        "profile.updated",
        who,
        {"name": "石家銘", "birthday": "1988-11-23"},
    )
    order(at("2026-02-01", "11:10"), who, [BURGER])
    order(at("2026-02-08", "11:10"), who, [BURGER, AMERICANO])
    # Dormant from mid-May; the win-back coupon brings him back in June.
    order(at("2026-06-02", "12:00"), {"external_id": who["external_id"]}, [BURGER])
    who = member(82, "高嘉玲", birthday="1995-09-08")
    emit(
        at("2026-01-20", "18:00"),
        "profile.updated",
        who,
        {"name": "高嘉玲", "birthday": "1995-09-08"},
    )
    order(at("2026-01-20", "18:05"), who, [PILLOW])


def website() -> None:
    """The shop's website (docs/tracking.md): browse and checkout events of known members,
    as the snippet sends them once a proof identified the visitor, or a shop's checkout
    webhook (the simulator posts them through /events)."""
    shop = "https://yuemeng.example"
    queen = {"sku": "MAT-QUEEN", "name": "獨立筒床墊（雙人）", "category": "mattress",
             "price": 28800, "url": f"{shop}/p/mat-queen", "image": f"{shop}/i/mat-queen.jpg"}  # fmt: skip
    cart = [{"sku": "MAT-QUEEN", "name": "獨立筒床墊（雙人）", "qty": 1, "price": 28800,
             "image": f"{shop}/i/mat-queen.jpg"},
            {"sku": "PIL-LATEX", "name": "乳膠枕", "qty": 2, "price": 1280,
             "image": f"{shop}/i/pil-latex.jpg"}]  # fmt: skip
    # 林佳蓉 looks at the queen mattress twice in an evening and leaves: browse abandonment.
    lin = member(90, "林佳蓉")
    emit(at("2026-05-10", "19:40"), "page.viewed", lin, {"url": f"{shop}/", "title": "悅眠"})
    emit(at("2026-05-10", "19:42"), "product.viewed", lin, dict(queen))
    emit(at("2026-05-10", "20:05"), "product.viewed", lin, dict(queen))
    # 黃志明 starts a checkout and never finishes: LINE after 4 hours, email a day later.
    huang = member(91, "黃志明", shop=True)
    emit(at("2026-06-02", "13:50"), "product.viewed", huang, dict(queen))
    emit(
        at("2026-06-02", "14:10"),
        "cart.updated",
        huang,
        {"items": cart, "total": 31360, "currency": "TWD"},
    )
    emit(at("2026-06-02", "14:15"), "checkout.started", huang, {
        "checkout_id": "chk-7001", "items": cart, "total": 31360, "currency": "TWD",
        "url": f"{shop}/checkout/chk-7001"})  # fmt: skip
    # 吳雅婷 views twice, adds to cart, checks out and orders within the hour: no reminder.
    wu = member(92, "吳雅婷", shop=True)
    emit(at("2026-07-01", "10:50"), "product.viewed", wu, dict(queen))
    emit(at("2026-07-01", "10:55"), "product.viewed", wu, dict(queen))
    emit(
        at("2026-07-01", "11:00"),
        "cart.updated",
        wu,
        {"items": cart[:1], "total": 28800, "currency": "TWD"},
    )
    emit(at("2026-07-01", "11:02"), "checkout.started", wu, {
        "checkout_id": "chk-7002", "items": cart[:1], "total": 28800, "currency": "TWD",
        "url": f"{shop}/checkout/chk-7002"})  # fmt: skip
    emit(at("2026-07-01", "11:20"), "order.created", wu, {
        "order_id": "W7002", "total": 28800, "currency": "TWD", "checkout_id": "chk-7002",
        "items": [{"sku": "MAT-QUEEN", "name": "獨立筒床墊（雙人）", "category": "mattress", "qty": 1, "price": 28800}]})  # fmt: skip


def main() -> None:
    mattress_buyers()
    breakfast_qr()
    dental()
    hotel()
    welcome_quiz()
    coupons()
    edm()
    weekend_coffee()
    birthdays_and_dormancy()
    website()
    # Time order; ties keep generation order (the simulator does the same).
    events.sort(key=lambda e: datetime.fromisoformat(e["time"]))
    for number, event in enumerate(events, start=1):
        event["id"] = f"evt-{number:05d}"
    with (HERE / "events.jsonl").open("w", encoding="utf-8") as out:
        for event in events:
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
    fields = ["name", "line_user_id", "email", "phone", "external_id", "birthday"]
    with (HERE / "members.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(members)
    print(f"{len(events)} events, {len(members)} members")


if __name__ == "__main__":
    main()
