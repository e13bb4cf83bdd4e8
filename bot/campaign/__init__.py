"""Outbound campaigns: who to contact, on which channel, when (strategy and planner), and the
Redis machinery that makes each contact exactly once (dispatch). See bot/campaign.yml."""

from bot.campaign.contacts import DueContact, dispatch_key
from bot.campaign.strategy import Strategy, StrategyError, load_strategy, parse_strategy

__all__ = [
    "DueContact",
    "Strategy",
    "StrategyError",
    "dispatch_key",
    "load_strategy",
    "parse_strategy",
]
