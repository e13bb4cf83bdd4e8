"""Dispatch: planned contacts go through Redis to the workers that make them, each exactly once.

- queue.py       CampaignQueue: the schedule, stream, job records, outcomes (Lua: bot/campaign/lua)
- worker.py      Worker: take, ask the gate again, start, make, finish
- pacing.py      the token bucket and the global semaphore, shared by all workers
- heartbeat.py   a worker's alive key, its held entries kept fresh, its slot leases renewed
- executors.py   the Executor protocol and GatewayExecutor (contacts through the gateway)
- gate.py        LedgerGate: `check_contact` on the ledger, asked just before each contact

Keys (prefix `campaign`, so several campaigns or test runs can share a Redis):

- `campaign:schedule` — sorted set, score = due time (epoch s), member = the contact as JSON.
- `campaign:jobs:{day}` — hash, dispatch key -> `queued` | `started|<instance>|<ms>` |
  `done|<outcome>`: the idempotency record. Scheduling writes `queued` with HSETNX, so a key is
  enqueued once however often the plan is made; it expires 8 days after its day.
- `campaign:dispatch` — the stream the workers read, consumer group `dialers`. A Lua script moves
  due members from the schedule into it atomically (any worker may run it; none moves one twice).
- `campaign:outcomes` — a stream of every outcome (key, account, channel, outcome, worker).
- `campaign:alive:{instance}` — a worker's heartbeat (a key with a short TTL).
- `campaign:inflight` — the global semaphore: sorted set of slot tokens scored by lease expiry.
- `campaign:bucket` — the token bucket for contacts per second.
- `campaign:bucket:carrier:voice` — the carrier's rate for calls from our number
  (`CARRIER_CALLS_PER_SECOND`, Twilio's default 1/s), all workers together.
- `campaign:handoffs` — a stream of accounts handed to a person (legal review, relationship
  manager), once per account, action and day.

A worker takes an entry (XREADGROUP, or XAUTOCLAIM for one left idle by a dead worker), waits for a
token and a slot, asks the gate again (conditions change between planning and dialling), marks
the job `started` by itself (compare-and-set), calls the executor, and in one Lua script marks it
`done`, acknowledges and deletes the entry, logs the outcome and schedules the retry the strategy
asks for (no answer, busy).

Exactly once, and where it stops being exact:

- Two workers never both start a job: `started` is a compare-and-set on the job's record.
- A worker killed after its executor ran but before `done`: the job says `started` by an instance
  whose heartbeat has expired. Whoever reclaims the entry asks the executor's own record
  (`executor.recorded_outcome(key)`); if the contact was made it is finished with that outcome and
  not attempted again. If there is no record it was not made, and it is attempted.
- The remaining window is inside the executor: between the contact really happening (the gateway
  sending the text, the carrier placing the call) and the executor's record of it. For the
  tests' recording executor (tests/campaign/helpers.py) the two are one MULTI, so there is no
  window. For `GatewayExecutor` the record is written when the gateway has answered: a worker
  killed while the request is in flight leaves no record, and the reclaimer sends the request
  again with the same
  `Idempotency-Key` header — exactly once only if the gateway honours that header (it should
  return the first answer for a key it has seen); otherwise a second text or call is possible,
  and only the gate's daily and weekly caps bound it. An executor without `recorded_outcome`
  gets the safe side: a job found `started` by a dead worker is finished as
  `unknown_after_crash`, never attempted twice (at most once).
- A live worker whose heartbeat stalls longer than its TTL (a frozen process) could be taken for
  dead while it is dialling; the record check still prevents a second attempt once the first
  has been recorded.
"""

from bot.campaign.dispatch.executors import Executor, GatewayExecutor, GatewayUnavailable
from bot.campaign.dispatch.gate import Gate, LedgerGate
from bot.campaign.dispatch.queue import (
    GROUP,
    JOB_TTL_S,
    OUTCOMES_MAXLEN,
    PREFIX,
    CampaignQueue,
)
from bot.campaign.dispatch.worker import Worker

__all__ = [
    "GROUP",
    "JOB_TTL_S",
    "OUTCOMES_MAXLEN",
    "PREFIX",
    "CampaignQueue",
    "Executor",
    "Gate",
    "GatewayExecutor",
    "GatewayUnavailable",
    "LedgerGate",
    "Worker",
]
