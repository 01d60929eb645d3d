"""The month's bill (`kairos stats --cost`): what LINE bills (pushes and multicasts;
replies are free; records without `via` are pushes), SMS and email counts, the price
under each Taiwan plan from the dated price file, and the cost command end to end."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from kairos.delivery.billing import is_billed, month_counts
from kairos.delivery.model import Outcome
from kairos.reports.cost import line_plans, month_bill, plan_cost

TAIPEI = ZoneInfo("Asia/Taipei")


def sent(channel: str, when: datetime, journey: str = "welcome", **extra: object) -> Outcome:
    return Outcome(
        delivery_id=f"d-{when.isoformat()}-{channel}-{extra}",
        member_id="m",
        journey=journey,
        step="s",
        template="t",
        enrolment_id="e",
        status="sent",
        time=when,
        channel=channel,
        **extra,  # type: ignore[arg-type]
    )


def test_line_messages_are_billed_unless_they_were_replies() -> None:
    push = sent("line", datetime(2026, 3, 1, tzinfo=UTC), endpoint="push")
    multicast = sent("line", datetime(2026, 3, 1, tzinfo=UTC), endpoint="multicast")
    unknown = sent("line", datetime(2026, 3, 1, tzinfo=UTC))  # a record from before `via`
    assert is_billed(push) and is_billed(multicast) and is_billed(unknown)
    # A reply, as the delivery records say it once replies exist (`via`, or the endpoint)
    reply = push.model_copy(update={"endpoint": "reply"})
    assert not is_billed(reply)


def test_months_are_the_brands_and_only_sent_messages_count() -> None:
    # 31 March 17:00 UTC is 1 April in Taipei: April's bill, as LINE's quota month
    outcomes = [
        sent("line", datetime(2026, 3, 31, 17, 0, tzinfo=UTC)),
        sent("line", datetime(2026, 3, 31, 15, 0, tzinfo=UTC)),
        sent("sms", datetime(2026, 3, 2, tzinfo=UTC), segments=2),
        sent("email", datetime(2026, 3, 2, tzinfo=UTC)),
        sent("line", datetime(2026, 3, 2, tzinfo=UTC)).model_copy(update={"status": "failed"}),
    ]
    counts = month_counts(outcomes, TAIPEI)
    assert counts[("welcome", "2026-04")] == {"line_billed": 1}
    assert counts[("welcome", "2026-03")] == {
        "line_billed": 1,
        "sms": 1,
        "sms_segments": 2,
        "email": 1,
    }


def test_each_plan_prices_the_month_or_says_it_does_not_fit() -> None:
    as_of, plans = line_plans()
    assert as_of == "2023-09-01" and [p.id for p in plans] == ["light", "medium", "high"]
    light, medium, high = plans
    assert plan_cost(light, 150)["ntd"] == 0
    assert plan_cost(light, 201) == {
        "plan": "light",
        "name": light.name,
        "fits": False,
        "ntd": None,
        "over_allowance": 1,
    }
    assert plan_cost(medium, 3000)["ntd"] == 800
    assert not plan_cost(medium, 3001)["fits"]
    assert plan_cost(high, 6000)["ntd"] == 1200
    assert plan_cost(high, 10_000)["ntd"] == 1200 + 4000 * 0.2


def test_the_month_bill_adds_journeys_and_keeps_lines_own_count() -> None:
    bill = month_bill(
        "2026-03",
        {
            "welcome": {"line_billed": 150, "line_free": 50, "email": 3},
            "vip": {"line_billed": 100, "sms": 2, "sms_segments": 3},
        },
        quota={"limit": 3000, "used": 260},
    )
    assert [r["journey"] for r in bill["journeys"]] == ["vip", "welcome"]
    assert bill["total"] == {
        "line_billed": 250,
        "line_free": 50,
        "email": 3,
        "sms": 2,
        "sms_segments": 3,
    }
    assert bill["billable_share"] == round(250 / 300, 4)
    assert [(p["plan"], p["ntd"]) for p in bill["plans"]] == [
        ("light", None),
        ("medium", 800.0),
        ("high", 1200.0),
    ]
    assert bill["line_quota"] == {"limit": 3000, "used": 260}


def test_lines_own_count_of_the_month_is_read_when_a_token_is_configured(
    monkeypatch: object,
) -> None:
    import argparse

    import pytest

    from kairos_dev.cost_view import line_quota
    from kairos_dev.local.fake_line import start_fake_line

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    fake = start_fake_line(token="t", monthly_limit=3000)
    try:
        fake.receive(
            "multicast",
            {"Authorization": "Bearer t"},
            {"to": ["U1", "U2"], "messages": [{"type": "text", "text": "hi"}]},
        )
        args = argparse.Namespace(line_secret=None)
        monkeypatch.delenv("KAIROS_LINE_CHANNEL_TOKEN", raising=False)
        assert line_quota(args) is None  # no token: no LINE figures
        monkeypatch.setenv("KAIROS_LINE_CHANNEL_TOKEN", "t")
        monkeypatch.setenv("KAIROS_LINE_API_ENDPOINT", fake.url)
        assert line_quota(args) == {"limit": 3000, "used": 2}
    finally:
        fake.stop()
