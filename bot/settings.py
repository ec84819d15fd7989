"""Configuration: one pydantic-settings class reading `PASOKHGOO_*` from the environment.

Built by `get_settings()`, never at import time, so tests and the CLI can pass their own.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["PROJECT_ROOT", "Settings", "get_settings"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_HOURS = r"^\d\d:\d\d-\d\d:\d\d(,\d\d:\d\d-\d\d:\d\d)*$"  # "08:00-12:00,13:00-24:00"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PASOKHGOO_", env_file=None, extra="ignore")

    data_dir: Path = Field(PROJECT_ROOT / "nlu_data", description="Rasa YAML knowledge base")
    var_dir: Path = Field(PROJECT_ROOT / "var", description="models, database, uploads")
    model_dir: Path | None = Field(None, description="trained model (default var_dir/model)")
    database_url: str | None = Field(None, description="default sqlite under var_dir")

    # the fallback rule (bot.fallback): below `nlu_threshold` nothing is understood; a top
    # two closer than `ambiguity_margin` asks the customer to choose
    nlu_threshold: float = Field(0.45, ge=0, le=1)
    ambiguity_margin: float = Field(0.12, ge=0, le=1)

    # when live operators take chats, Iran time, e.g. "09:00-17:00,18:00-22:00"
    operator_hours: str = Field("00:00-24:00", pattern=_HOURS)

    max_message_chars: int = Field(2000, ge=1, description="longer chat messages get 413")
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="JSON request body limit")
    max_attachment_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    # Rasa posts the whole conversation to /webhook with every custom action
    max_rasa_tracker_bytes: int = Field(4 * 1024 * 1024, ge=1024)

    # staff access: the admin token, and operators by name → token, e.g.
    # PASOKHGOO_OPERATOR_TOKENS='{"sara": "long-random-token"}'
    admin_token: SecretStr | None = None
    operator_tokens: dict[str, SecretStr] = Field(default_factory=dict)

    # Telegram (api.telegram): the bot's token from @BotFather; the secret Telegram sends
    # back with every webhook call (A-Z a-z 0-9 _ -); the Bot API's address (tests point
    # it at a fake server on loopback; a self-hosted Bot API server goes here too)
    telegram_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base_url: str = Field("https://api.telegram.org/bot", min_length=1)

    # the Rasa action server (POST /webhook, GET /actions): the token Rasa sends as
    # `?token=` (endpoints.yml `action_endpoint.token`; unset: anyone may call the actions)
    action_token: SecretStr | None = None

    # the content team's workbench (bot.knowledge): FAQ spreadsheets up to this size; how
    # often each worker looks for a model another worker trained, besides Redis's release
    # signal (0: the signal only)
    max_import_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    model_poll_seconds: float = Field(5.0, ge=0)

    # scale-out (docs/scale-out.md): workers share conversation locks, operator presence
    # and live events through Redis (unset: this process only); keys start with the prefix
    redis_url: str | None = Field(None, description="redis://host:6379/0")
    redis_prefix: str = Field("pasokhgoo", min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    lock_ttl_seconds: float = Field(10.0, gt=0, description="a dead worker's lock expires")
    lock_wait_seconds: float = Field(10.0, ge=0, description="then the turn goes ahead")

    # abuse limits on /v1/chat and /webhooks/rest/webhook, messages a minute (a minute's
    # worth may come at once; 0: no limit); in Redis when redis_url is set
    rate_per_sender: int = Field(30, ge=0)
    rate_per_ip: int = Field(300, ge=0, description="routable client addresses only")
    # browser origins allowed to call the API, e.g. '["https://shop.example"]' (none: CORS off)
    cors_origins: list[str] = Field(default_factory=list)

    @property
    def resolved_model_dir(self) -> Path:
        return self.model_dir or self.var_dir / "model"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'pasokhgoo.db'}"


def get_settings(**overrides: object) -> Settings:
    return Settings(**overrides)
