"""Our Zalo Bot API client against the fake Zalo server: every documented method, the error
shapes mapped to typed errors (retryable or not), the token never in an error or a log."""

from __future__ import annotations

import logging

import pytest

from bot.zalo.client import (
    ZaloBadRequest,
    ZaloBotClient,
    ZaloForbidden,
    ZaloRetryable,
    ZaloUnauthorized,
    redact,
)
from tests.fake_zalo_api import FakeZaloAPI


async def test_every_documented_method_round_trips() -> None:
    async with FakeZaloAPI() as api, ZaloBotClient(api.token, base_url=api.base_url) as zalo:
        me = await zalo.get_me()
        assert me.id == api.bot_id and me.display_name == api.display_name
        assert (await zalo.get_webhook_info()).url == ""  # 404 on a bot without a webhook
        info = await zalo.set_webhook("https://example.org/hook", "secret-123")
        assert info.url == "https://example.org/hook"
        assert (await zalo.get_webhook_info()).url == "https://example.org/hook"
        assert (await zalo.delete_webhook()).url == ""
        an = api.new_user("An")
        sent = await zalo.send_message(an.id, "Xin chào")
        assert sent.message_id and api.texts(an.id) == ["Xin chào"]
        await zalo.send_photo(an.id, "https://example.org/chart.png", "Biểu đồ")
        await zalo.send_sticker(an.id, "0e078a2fb66a5f34067b")
        await zalo.send_chat_action(an.id)
        assert [m.method for m in api.messages(an.id)] == [
            "sendMessage",
            "sendPhoto",
            "sendSticker",
        ]


async def test_get_updates_replays_what_was_read_and_408_is_no_message() -> None:
    async with FakeZaloAPI(replays=1) as api, ZaloBotClient(api.token, base_url=api.base_url) as z:
        an = api.new_user("An")
        first = api.user_sends(an, "một")
        assert await z.get_updates(timeout=1) == [first]
        assert await z.get_updates(timeout=1) == [first]  # read already: it comes again
        assert await z.get_updates(timeout=0) == []  # idle: 408, not an error


async def test_errors_are_typed_and_never_carry_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeZaloAPI() as api, ZaloBotClient(api.token, base_url=api.base_url) as zalo:
        an = api.new_user("An")
        with pytest.raises(ZaloBadRequest) as long:
            await zalo.call("sendMessage", {"chat_id": an.id, "text": "x" * 2001})
        assert not long.value.retryable and "2000" in long.value.description
        api.fail_next("sendMessage", 502)
        with pytest.raises(ZaloRetryable):
            await zalo.send_message(an.id, "a")
        api.fail_next("sendMessage", 429, times=1)
        with pytest.raises(ZaloRetryable):
            await zalo.send_message(an.id, "a")
        api.blocked.add(an.id)
        with pytest.raises(ZaloForbidden):
            await zalo.send_message(an.id, "a")
        errors: list[Exception] = [long.value]
        async with ZaloBotClient(api.token + "x", base_url=api.base_url) as wrong:
            with pytest.raises(ZaloUnauthorized) as refused:
                await wrong.get_me()
            errors.append(refused.value)
        async with ZaloBotClient(api.token, base_url="http://127.0.0.1:9") as down:
            with pytest.raises(ZaloRetryable) as unreachable:
                await down.get_me()
            errors.append(unreachable.value)
        secret = api.token.partition(":")[2]
        for error in errors:
            assert secret not in str(error) and secret not in repr(error)
        assert secret not in caplog.text
        assert secret not in repr(zalo)


def test_redact_hides_the_token_and_its_secret_half() -> None:
    token = "123:abcdefghijkl"
    assert redact(f"POST /bot{token}/x and abcdefghijkl", token) == "POST /bot<token>/x and <token>"


async def test_set_webhook_needs_a_secret_of_8_to_256_characters() -> None:
    async with FakeZaloAPI() as api, ZaloBotClient(api.token, base_url=api.base_url) as zalo:
        with pytest.raises(ValueError):
            await zalo.set_webhook("https://example.org/hook", "short")
        with pytest.raises(ZaloBadRequest):
            await zalo.call("setWebhook", {"url": "https://example.org/h", "secret_token": "s"})
