"""Chat links' Redis side (issue #11): the reply cache is bounded, a link or all of an account's
links can be revoked, and the rate limits count per window."""

from __future__ import annotations

import uuid

import redis as redis_lib

from bot.channels import webchat
from bot.channels.rate_limits import allow, caller_key, conversation_allowed
from bot.settings import Settings
from bot.web.security import chat_token


def test_the_reply_cache_keeps_only_the_newest_replies(embedded_redis_url):
    redis = redis_lib.Redis.from_url(embedded_redis_url)
    conversation = uuid.uuid4().hex
    for i in range(webchat.MAX_CACHED_REPLIES + 30):
        webchat._remember(redis, conversation, f"m{i}", "{}")
    kept = {k.decode() for k in redis.hkeys(f"chat:replies:{conversation}")}
    assert len(kept) == webchat.MAX_CACHED_REPLIES
    assert "m0" not in kept and f"m{webchat.MAX_CACHED_REPLIES + 29}" in kept
    assert redis.ttl(f"chat:replies:{conversation}") > 0


def test_a_link_and_all_links_of_an_account_can_be_revoked(embedded_redis_url, tmp_path):
    redis = redis_lib.Redis.from_url(embedded_redis_url)
    settings = Settings(var_dir=tmp_path, secret_key="k")
    account = f"A-{uuid.uuid4().hex[:6]}"
    one, other = chat_token(settings, account), chat_token(settings, account + "x")
    assert not webchat.is_revoked(redis, one, account)
    webchat.revoke_link(redis, one, 60)
    assert webchat.is_revoked(redis, one, account)
    assert not webchat.is_revoked(redis, other, account + "x")
    webchat.revoke_account_links(redis, account + "x", 60)
    assert webchat.is_revoked(redis, other, account + "x")
    assert redis.get(f"chat:revoked:{webchat.link_id(one)}")  # the hash, never the link
    assert not any(one.encode() in k for k in redis.keys("chat:*"))


def test_rate_limits_count_per_window_and_hide_the_number(embedded_redis_url):
    redis = redis_lib.Redis.from_url(embedded_redis_url)
    name = f"test:{uuid.uuid4().hex}"
    assert [allow(redis, name, 3, 3600) for _ in range(5)] == [True] * 3 + [False] * 2
    number = "+14155550101"
    assert number not in caller_key("sms", number)
    assert all(conversation_allowed(redis, "sms", number + "9", 2) for _ in range(2))
    assert not conversation_allowed(redis, "sms", number + "9", 2)
