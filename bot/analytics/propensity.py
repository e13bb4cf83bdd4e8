"""Propensity to pay: which overdue customers are likeliest to pay soon, to order the day's work.

Setup (chosen so the model never sees the future):

- A **reference date** R splits time. Features describe each account using only what the ledger
  knew before R (timestamps before R 00:00 UTC, payments dated before R). The label is whether the
  account paid anything dated R to R + 29 (a 30-day outcome window), so R must be at least 30 days
  in the past to train.
- The balance and minimum due as of R come from the first payment applied on or after R (each
  payment row keeps the account as it stood before it); with no such payment, today's values are
  those of R. Days past due at R are counted from the account's due date.
- A promise's outcome counts only if it was settled before R (due date + 3 grace days < R);
  otherwise its status may reflect payments made after R.
- Accounts created on or after R, or already paid off by then, are not in the population.

The model is a scikit-learn Pipeline (standard scaling + logistic regression by default, gradient
boosting on request), fitted on a stratified 75 % of the accounts; the AUC reported is on the
other 25 %, which the model never saw. `score` ranks accounts as of today with the same features.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Literal

import joblib
import numpy as np
import sklearn
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sqlalchemy.orm import Session

from bot.analytics.segments import segment_of
from bot.ledger.repo import propensity as reads

OUTCOME_DAYS = 30
GRACE_DAYS = 3  # as bot.analytics.payments.settle_promises
PRODUCTS = ("credit_card", "personal_loan", "business_loan")
FEATURES = (
    "days_past_due",
    "log_balance",
    "minimum_ratio",
    *(f"product_{p}" for p in PRODUCTS),
    "attempts",
    "contacts",
    "verified_contacts",
    "promises",
    "kept_ratio",
    "broken_promises",
    "instalment_requested",
    "disputed",
    "refused",
    "opted_out",
    "payments_last_30_days",
)
Algorithm = Literal["logistic", "gradient_boosting"]


@dataclass
class TrainedModel:
    pipeline: Pipeline
    reference: date
    auc: float  # on the held-out 25 %
    n_train: int
    n_test: int
    positive_rate: float  # share of accounts that paid in the outcome window
    algorithm: str
    seed: int
    features: tuple[str, ...] = FEATURES
    trained_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    sklearn_version: str = sklearn.__version__


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), timezone.utc)


def features(
    session: Session, *, as_of: date, account_ids: Sequence[str] | None = None
) -> tuple[list[str], np.ndarray]:
    """The feature matrix (rows in the order of the returned ids) from what was known before
    `as_of`; accounts that did not exist yet or had nothing left to pay are left out."""
    cut = _midnight(as_of)
    ids = None if account_ids is None else list(dict.fromkeys(account_ids))
    known = reads.known_before(
        session,
        as_of=as_of,
        cut=cut,
        paid_since=as_of - timedelta(days=OUTCOME_DAYS),
        settled_before=as_of - timedelta(days=GRACE_DAYS),  # outcome known before as_of
        ids=ids,
    )
    order, matrix = [], []
    for account_id in ids if ids is not None else sorted(known.accounts):
        if account_id not in known.accounts:
            continue
        product, due_date, balance, minimum = known.accounts[account_id]
        if account_id in known.then:
            balance, minimum = known.then[account_id]
        if balance <= 0:
            continue
        n_conv, verified, refusals = known.conversations.get(account_id, (0, 0, 0))
        n_prom, kept, broken = known.promises.get(account_id, (0, 0, 0))
        kept, broken = int(kept or 0), int(broken or 0)
        order.append(account_id)
        matrix.append(
            [
                max(0, (as_of - due_date).days),
                math.log1p(float(balance)),
                float(minimum / balance),
                *(1.0 if product == name else 0.0 for name in PRODUCTS),
                known.attempts.get(account_id, (0,))[0],
                n_conv,
                int(verified or 0),
                n_prom,
                # Smoothed towards 1/2, so one kept promise is not "always keeps".
                (kept + 0.5) / (kept + broken + 1.0),
                broken,
                1.0 if account_id in known.instalments else 0.0,
                1.0 if account_id in known.disputes else 0.0,
                1.0 if refusals else 0.0,
                1.0 if account_id in known.opt_outs else 0.0,
                known.paid_before.get(account_id, (0,))[0],
            ]
        )
    return order, np.asarray(matrix, dtype=float).reshape(len(order), len(FEATURES))


def labels(session: Session, *, reference: date, account_ids: Sequence[str]) -> np.ndarray:
    """1 for an account that paid anything dated in the 30 days from `reference`."""
    paid = reads.payers(
        session,
        start=reference,
        end=reference + timedelta(days=OUTCOME_DAYS),
        ids=list(account_ids),
    )
    return np.asarray([1 if a in paid else 0 for a in account_ids], dtype=int)


def _pipeline(algorithm: Algorithm, seed: int) -> Pipeline:
    if algorithm == "logistic":
        model = LogisticRegression(max_iter=2000, C=1.0)
    elif algorithm == "gradient_boosting":
        model = GradientBoostingClassifier(
            n_estimators=150, max_depth=3, learning_rate=0.05, subsample=0.8, random_state=seed
        )
    else:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    return Pipeline([("scale", StandardScaler()), ("model", model)])


def train(
    session: Session,
    *,
    reference: date,
    seed: int,
    algorithm: Algorithm = "logistic",
    today: date | None = None,
) -> TrainedModel:
    """Fit on 75 % of the accounts (stratified), report the AUC on the other 25 %."""
    today = today or datetime.now(timezone.utc).date()
    if reference + timedelta(days=OUTCOME_DAYS) > today:
        raise ValueError(
            f"the {OUTCOME_DAYS}-day outcome window after {reference} has not ended by {today}"
        )
    ids, x = features(session, as_of=reference)
    y = labels(session, reference=reference, account_ids=ids)
    positives = int(y.sum())
    if min(positives, len(y) - positives) < 10:
        raise ValueError(
            f"too few outcomes to learn from: {positives} payers, {len(y) - positives} non-payers"
        )
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, stratify=y, random_state=seed
    )
    pipeline = _pipeline(algorithm, seed).fit(x_train, y_train)
    auc = float(roc_auc_score(y_test, pipeline.predict_proba(x_test)[:, 1]))
    return TrainedModel(
        pipeline=pipeline,
        reference=reference,
        auc=auc,
        n_train=len(y_train),
        n_test=len(y_test),
        positive_rate=positives / len(y),
        algorithm=algorithm,
        seed=seed,
    )


def save(model: TrainedModel, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)
    return path


def load(path: Path) -> TrainedModel:
    model = joblib.load(path)
    if not isinstance(model, TrainedModel):
        raise TypeError(f"{path} does not hold a propensity model")
    return model


def score(
    session: Session, model: TrainedModel, account_ids: Sequence[str], *, as_of: date | None = None
) -> dict[str, float]:
    """Probability of paying in the next 30 days, per account, from what is known now (everything
    before `as_of`, by default up to and including today UTC). Accounts with nothing left to pay
    or unknown are left out."""
    as_of = as_of or datetime.now(timezone.utc).date() + timedelta(days=1)
    ids, x = features(session, as_of=as_of, account_ids=account_ids)
    if not ids:
        return {}
    return dict(zip(ids, model.pipeline.predict_proba(x)[:, 1].tolist(), strict=True))


def rank(
    session: Session, model: TrainedModel, account_ids: Sequence[str], *, as_of: date | None = None
) -> dict[str, list[tuple[str, float]]]:
    """Accounts grouped by segment, likeliest payers first: the order to work them in."""
    scores = score(session, model, account_ids, as_of=as_of)
    segments: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for account_id, product, dpd in reads.products_and_dpd(session, list(scores)):
        segments[segment_of(product, dpd)].append((account_id, scores[account_id]))
    return {
        name: sorted(items, key=lambda item: (-item[1], item[0]))
        for name, items in sorted(segments.items())
    }
