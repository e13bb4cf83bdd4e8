"""Changes our Rasa server makes to Rasa itself, installed when Rasa imports our tracker store
(the endpoints file names it, so every stack's Rasa process loads this module first, before it
loads the model). Each does what Rasa's own code does, with less CPU per message
(docs/performance.md); tests/infra/test_rasa_server.py and test_rasa_graph.py compare each with
Rasa's.

- The action response check: Rasa 3.6 checks every response of the action server with
  `jsonschema.validate(result, schema)`, which first checks the (constant) schema itself against
  JSON Schema's metaschema: ~17 ms of CPU per action call. The same check with a validator built
  once costs ~0.5 ms. A response that fails it is checked again by Rasa's own method, so the
  error raised is exactly Rasa's.
- The model graph run in a precomputed order instead of through dask (bot/infra/rasa_graph.py).
- An event's class by its name: Rasa walks every subclass of `Event` (and asks `inspect` whether
  each is abstract) for each event of a tracker it reads from Redis, ~3 % of its CPU per message.
  The classes are looked up in a table, made again when a name is not in it (a class defined
  later).
- The action server's connection kept: Rasa opens an HTTP client session, and so a new TCP
  connection, for every call of the action server (~30 % of the call's CPU in Rasa, and a
  connection for HAProxy and the action server to accept). The session is kept per endpoint;
  a connection idle for 2 s is not reused, well before the servers close theirs (the action
  server after 5 s, HAProxy after 10 s), so a reused connection is never one being closed.
- Two featurizers' sparse features joined: Rasa uses scipy's `hstack`, which goes through
  `bmat` (~100 µs, several times per message for DIET); two COO matrices are joined here by
  concatenating their arrays (~20 µs), the same matrix with the same dtype.
"""

from __future__ import annotations

import asyncio

import aiohttp
import numpy as np
import rasa.core.processor
import rasa.shared.utils.common
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.nlu.training_data.features import Features
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig
from scipy.sparse import coo_matrix
from scipy.sparse._sputils import upcast  # what scipy's bmat uses for a join's dtype

from bot.infra.rasa_graph import OrderedGraphRunner

_rasa_check = RemoteAction._validate_action_result
_rasa_resolve = Event.resolve_by_type
_rasa_combine = Features._combine_sparse_features


def _action_response_validator():
    schema = RemoteAction.action_response_format_spec()
    kind = validators.validator_for(schema)
    kind.check_schema(schema)  # once, as jsonschema.validate does on every call
    return kind(schema)


_validator = _action_response_validator()


def _validate_action_result(self: RemoteAction, result: dict) -> bool:
    try:
        _validator.validate(result)
    except ValidationError:
        return _rasa_check(self, result)  # raises Rasa's own error, with its message
    return True


_event_types: dict[str, type[Event]] = {}


def _event_type_table() -> dict[str, type[Event]]:
    table: dict[str, type[Event]] = {}
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        table.setdefault(cls.type_name, cls)  # Rasa returns the first match of this order
    return table


def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    global _event_types
    if type_name not in _event_types:
        _event_types = _event_type_table()
    if type_name in _event_types:
        return _event_types[type_name]
    return _rasa_resolve(type_name, default)  # Rasa's answers for "topic" and unknown names


def _combine_sparse_features(self: Features, additional_features: Features) -> None:
    mine, theirs = self.features, additional_features.features
    if not (
        isinstance(mine, coo_matrix)
        and isinstance(theirs, coo_matrix)
        and mine.shape[0] == theirs.shape[0]
    ):
        return _rasa_combine(self, additional_features)  # Rasa's join, and its errors
    dtype = upcast(mine.dtype, theirs.dtype)  # bmat's: float64 for the regex and count features
    self.features = coo_matrix(
        (
            np.concatenate([mine.data, theirs.data]).astype(dtype, copy=False),
            (
                np.concatenate([mine.row, theirs.row]),
                np.concatenate([mine.col, theirs.col + mine.shape[1]]),
            ),
        ),
        shape=(mine.shape[0], mine.shape[1] + theirs.shape[1]),
    )
    self._cached_fingerprint = None


KEEP_IDLE_S = 2.0  # a kept connection idle longer is closed, not reused


class _KeptSession:
    """What `async with endpoint.session()` enters: the endpoint's kept session, left open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc) -> None:
        return None


def _kept_session(self: EndpointConfig) -> _KeptSession:
    loop = asyncio.get_running_loop()
    kept, its_loop = self.__dict__.get("_kept", (None, None))
    if kept is None or kept.closed or its_loop is not loop:  # a session is its loop's
        login = self.basic_auth or {}
        auth = aiohttp.BasicAuth(login["username"], login["password"]) if login else None
        kept = aiohttp.ClientSession(  # Rasa's session, with its connections kept
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEP_IDLE_S),
        )
        self.__dict__["_kept"] = (kept, loop)
    return _KeptSession(kept)


def install() -> None:
    EndpointConfig.session = _kept_session
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(_resolve_by_type)
    Features._combine_sparse_features = _combine_sparse_features
    # The processor loads the model with the runner class it imported: its name is replaced.
    rasa.core.processor.DaskGraphRunner = OrderedGraphRunner
