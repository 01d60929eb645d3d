"""What each channel receives: LINE text and Flex, email headers and tags, SMS
attributes and segments; and a bad template fails its delivery, not the batch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kairos.delivery.tracking import read_token
from kairos.models.settings import Channels, Settings, SmsChannel
from kairos_dev.local.emulator import Emulator
from kairos_dev.local.outbox import capture_calls
from tests.integration.test_sender_harness import HELLO, NEWS, Rig, make_rig, request, template


@pytest.fixture
def rig(emulator: Emulator) -> Iterator[Rig]:
    yield from make_rig(emulator)


BUBBLE = {"type": "bubble", "body": {"type": "box", "layout": "vertical",
          "contents": [{"type": "text", "text": "{{ profile.name }}，生日快樂"}]}}  # fmt: skip


def test_a_bad_template_fails_its_delivery_and_the_rest_of_the_batch_goes_out(rig: Rig) -> None:
    # Given a batch with a broken template, a Flex message LINE would refuse, and a good one
    broken = template(id="broken", line={"text": "{{ profile.name | nosuchfilter }}"})
    bad_flex = template(id="bad-flex", line={"flex": {"type": "bubble", "body": {"type": "box", "contents": []}}})  # fmt: skip
    rig.use(templates={"hello": HELLO, "broken": broken, "bad-flex": bad_flex})
    for i in range(4):
        rig.member(f"m{i}", line_user_id=f"U{i}", name=f"N{i}")
    sends = [request("m0", template="broken"), request("m1", template="bad-flex"),
             request("m2", template="hello"), request("m3", template="missing")]  # fmt: skip
    rig.enqueue(*sends)
    # When processed
    rig.drain()
    # Then the good one was sent, the others `failed` with the reason, nothing retried
    assert rig.line.recipients() == {"U2": 1}
    reasons = [rig.delivery(s).get("reason", "") for s in sends]
    assert reasons[0].startswith("line.text: TemplateAssertionError")
    assert reasons[1].startswith("line.flex: not a valid Flex message")
    assert reasons[3] == "unknown template missing"
    assert [rig.delivery(s)["status"] for s in sends] == ["failed", "failed", "sent", "failed"]
    assert rig.queue_depth() == 0 and rig.queue_depth(rig.dlq_url) == 0


def test_a_flex_message_reaches_line_rendered(rig: Rig) -> None:
    rig.use(templates={"bday": template(id="bday", line={"flex": BUBBLE, "alt_text": "生日禮"})})
    rig.member("m1", line_user_id="U1", name="Amy")
    rig.enqueue(request("m1", template="bday"))
    rig.drain()
    [message] = rig.line.messages
    assert message.message["altText"] == "生日禮"
    assert message.message["contents"]["body"]["contents"][0]["text"] == "Amy，生日快樂"


def test_email_carries_one_click_unsubscribe_tags_and_the_configuration_set(rig: Rig) -> None:
    # Given a configuration set and a member with an email
    rig.stack.extra_env["KAIROS_SES_CONFIGURATION_SET"] = "kairos-events"
    rig.stack.activate()
    services = rig.use()
    calls = capture_calls(services.channels.email.client, "SendEmail")
    rig.member("m1", email="amy@example.com", name="Amy")
    send = request("m1", channel="email", step="day-1/reminder")
    # When the email is sent
    rig.enqueue(send)
    rig.drain()
    # Then it has RFC 8058 headers pointing at a signed unsubscribe link for this send
    [mail] = rig.outbox.emails("amy@example.com")
    assert mail.subject == "Hi Amy"
    assert mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    link = mail.header("List-Unsubscribe") or ""
    assert link.startswith("<https://hooks.shop.example/u/") and link.endswith(">")
    secret = rig.stack.secrets.tracking_key.encode()
    token = read_token(secret, link[1:-1].rsplit("/", 1)[1], rig.clock())
    assert (token.kind, token.delivery_id, token.member_id, token.url) == ("u", send.delivery_id, "m1", "email")  # fmt: skip
    assert (mail.body("plain") or "").strip() == "Hello Amy"
    assert (mail.body("html") or "").strip() == "<p>Hello Amy</p>"
    # And SES got the configuration set and the tags that tie events back to this send
    assert calls[0]["ConfigurationSetName"] == "kairos-events"
    tags = {t["Name"]: t["Value"] for t in calls[0]["EmailTags"]}
    assert tags == {"delivery_id": send.delivery_id, "journey": "welcome", "step": "day-1_reminder"}


def test_sms_is_promotional_or_transactional_with_the_sender_id_and_counts_segments(rig: Rig) -> None:  # fmt: skip
    rig.use(
        Settings(channels=Channels(sms=SmsChannel(sender_id="SHOP"))),
        templates={"long": template(id="long", sms={"text": "早" * 71})},
    )
    calls = capture_calls(rig.services.channels.sms.client, "Publish")
    rig.member("m1", phone="+886912000001")
    marketing = request("m1", channel="sms", template="long")
    receipt = request("m1", channel="sms", template="long", transactional=True)
    rig.enqueue(marketing, receipt)
    rig.drain()
    kinds = sorted(c["MessageAttributes"]["AWS.SNS.SMS.SMSType"]["StringValue"] for c in calls)
    assert kinds == ["Promotional", "Transactional"]
    assert all(c["MessageAttributes"]["AWS.SNS.SMS.SenderID"]["StringValue"] == "SHOP" for c in calls)  # fmt: skip
    assert [s.text for s in rig.outbox.sms("+886912000001")] == ["早" * 71] * 2
    assert rig.delivery(marketing)["segments"] == 2


def test_a_tracked_link_names_the_send_and_the_member(rig: Rig) -> None:
    promo = template(id="promo", line={"text": "看看 {{ track('https://shop.example/c/30') }}"})
    rig.use(templates={"promo": promo, "news": NEWS})
    rig.member("m1", line_user_id="U1")
    send = request("m1", template="promo")
    rig.enqueue(send)
    rig.drain()
    text = rig.line.messages[0].message["text"]
    url = text.split(" ")[1]
    assert url.startswith("https://hooks.shop.example/t/")
    link = read_token(rig.stack.secrets.tracking_key.encode(), url.rsplit("/", 1)[1], rig.clock())
    assert (link.delivery_id, link.member_id, link.url) == (send.delivery_id, "m1", "https://shop.example/c/30")  # fmt: skip
    # The timeline keeps the rendered text (first 200 characters) for `kairos simulate`
    assert rig.timeline("m1")[0]["data"]["text"] == text
