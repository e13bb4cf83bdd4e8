"""Collection strategies per segment: the model and its answers (model.py), read and validated
from `bot/campaign.yml` (loading.py)."""

from bot.campaign.strategy.loading import (
    DEFAULT_FILE,
    StrategyError,
    default_path,
    load_strategy,
    parse_duration,
    parse_strategy,
)
from bot.campaign.strategy.model import (
    ACTIONS,
    ALL_SIGNALS,
    BANDS,
    BUCKET_NAMES,
    BUCKET_START,
    PRODUCTS,
    RETRY_OUTCOMES,
    SIGNALS,
    Backoff,
    EscalationRule,
    SegmentStrategy,
    Step,
    Strategy,
)

__all__ = [
    "ACTIONS",
    "ALL_SIGNALS",
    "BANDS",
    "BUCKET_NAMES",
    "BUCKET_START",
    "DEFAULT_FILE",
    "PRODUCTS",
    "RETRY_OUTCOMES",
    "SIGNALS",
    "Backoff",
    "EscalationRule",
    "SegmentStrategy",
    "Step",
    "Strategy",
    "StrategyError",
    "default_path",
    "load_strategy",
    "parse_duration",
    "parse_strategy",
]
