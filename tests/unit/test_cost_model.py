"""The cost model's arithmetic (bench/costmodel.py): prices times counts, fixed costs
spread over the brand, and the alternatives priced from the same file."""

from __future__ import annotations

import pytest

from bench import costmodel

PRICES = {
    "dynamodb_read_request_unit": 1e-7,
    "dynamodb_write_request_unit": 1e-6,
    "dynamodb_storage_gb_month": 0.25,
    "sqs_request": 4e-7,
    "lambda_request": 2e-7,
    "lambda_arm64_gb_second": 1e-5,
    "api_gateway_rest_request": 4e-6,
    "eventbridge_schedule_invocation": 1e-6,
    "cloudwatch_custom_metric_month": 0.3,
    "stepfunctions_standard_transition": 2.5e-5,
    "pinpoint_monthly_targeted_audience": 1.2e-3,
    "pinpoint_event": 1e-6,
}


def test_kairos_month_is_counts_times_prices_plus_fixed() -> None:
    member = costmodel.Activity(events=2, read_units=10, write_units=20, deliveries=1)
    fixed = costmodel.Fixed(schedule_invocations=100, custom_metrics=2)
    month = costmodel.kairos_month(1000, member, fixed, PRICES)
    variable = 1000 * (10 * 1e-7 + 20 * 1e-6 + 2 * 4e-6)
    assert month == pytest.approx(variable + 100 * (1e-6 + 2e-7) + 2 * 0.3)
    assert costmodel.per_million_messages(month, 1000, member) == pytest.approx(month * 1000)
    assert costmodel.per_thousand_members(month, 1000) == pytest.approx(month)


def test_fixed_costs_weigh_less_per_member_as_the_brand_grows() -> None:
    member = costmodel.Activity(write_units=5, deliveries=1)
    fixed = costmodel.Fixed(custom_metrics=20)
    small = costmodel.kairos_month(10_000, member, fixed, PRICES) / 10_000
    large = costmodel.kairos_month(1_000_000, member, fixed, PRICES) / 1_000_000
    assert large < small
    assert large == pytest.approx(5 * 1e-6 + 20 * 0.3 / 1_000_000 + 43_200 * 1.2e-6 / 1e6)


def test_step_functions_trade_timer_work_for_transitions() -> None:
    # Given an enrolment that entered five steps, three of them from a due timer
    member = costmodel.Activity(
        steps=3,
        step_visits=5,
        enrolments=1,
        write_units=10,
        steps_write_units=6,
        steps_invocations=1,
    )
    fixed = costmodel.Fixed(schedule_invocations=0)
    kairos = costmodel.kairos_month(1, member, fixed, PRICES)
    step_functions = costmodel.step_functions_month(1, member, fixed, PRICES)
    # The timers' own writes and invocation go; a transition per step entered comes.
    assert step_functions == pytest.approx(kairos - 6 * 1e-6 - 2e-7 + 5 * 2.5e-5)


def test_pinpoint_charges_targeted_members_and_events() -> None:
    member = costmodel.Activity(events=1, deliveries=2, targeted=0.5)
    month = costmodel.pinpoint_month(1000, member, PRICES, line_gb_seconds=0.01)
    expected = 1000 * (0.5 * 1.2e-3 + 1e-6 + 4e-6 + 2e-7 + 2 * (2e-7 + 0.01 * 1e-5))
    assert month == pytest.approx(expected)


def test_the_price_file_names_a_source_for_every_price() -> None:
    import json

    data = json.loads(costmodel.PRICES.read_text())
    assert data["region"] == "ap-northeast-1"
    assert all(entry["source"].startswith("https://") for entry in data["prices"].values())
    assert set(PRICES) <= set(costmodel.load_prices())


def test_the_priced_metric_count_is_the_catalogues() -> None:
    from bench import cost
    from kairos import metric_names

    assert len(metric_names.HEALTH) == cost.CUSTOM_METRICS
