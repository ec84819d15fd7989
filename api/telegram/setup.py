"""The Bot API client from the settings, its start, and the webhook registration."""

from __future__ import annotations

import logging
import re

from telegram import Bot, User
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.errors import ConfigError
from bot.settings import Settings

__all__ = [
    "ALLOWED_UPDATES",
    "RedactToken",
    "build_bot",
    "check_webhook_secret",
    "file_base_url",
    "set_webhook",
    "start_bot",
]

log = logging.getLogger("pasokhgoo.telegram")

# the updates the channel reads; Telegram then skips edits, polls, reactions and the rest
ALLOWED_UPDATES = ("message", "callback_query")
# what Telegram accepts as a webhook secret_token
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def file_base_url(api_base_url: str) -> str:
    """Telegram serves files beside the methods: …/bot<token>/getFile, …/file/bot<token>/…"""
    head, _, last = api_base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{last}"


class RedactToken(logging.Filter):
    """The Bot API's URLs contain the token, and httpx logs every request's URL at INFO."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), None
        return True


def _redact_in_logs(token: str) -> None:
    for name in ("httpx", "telegram.Bot"):  # telegram.Bot logs its URLs at DEBUG
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactToken) and f.token == token for f in logger.filters):
            logger.addFilter(RedactToken(token))


def build_bot(settings: Settings) -> Bot:
    if settings.telegram_token is None:
        raise ConfigError("PASOKHGOO_TELEGRAM_TOKEN is not set (the token from @BotFather)")
    token = settings.telegram_token.get_secret_value()
    _redact_in_logs(token)
    base = settings.telegram_api_base_url.rstrip("/")
    return Bot(
        token,
        base_url=base,
        base_file_url=file_base_url(base),
    )


def check_webhook_secret(settings: Settings) -> str:
    """The webhook secret, if Telegram would accept it; the error never shows its value."""
    if settings.telegram_webhook_secret is None:
        raise ConfigError(
            "PASOKHGOO_TELEGRAM_WEBHOOK_SECRET is not set; Telegram sends it back with "
            "every update so the webhook can tell Telegram from anyone else"
        )
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not _SECRET.fullmatch(secret):
        raise ConfigError(
            "PASOKHGOO_TELEGRAM_WEBHOOK_SECRET must be 1–256 characters of A–Z, a–z, 0–9, "
            "_ and - (Telegram's rule for secret_token)"
        )
    return secret


async def start_bot(bot: Bot, *, required: bool) -> User | None:
    """Open the bot's connections and ask getMe who it is.

    A rejected token is a configuration error. Telegram out of reach is one too when
    `required` (polling, set-webhook); the server starts anyway and retries on each call.
    PTB's own InvalidToken message contains the token, so it is never passed on.
    """
    try:
        await bot.initialize()
    except InvalidToken:
        raise ConfigError("Telegram rejected PASOKHGOO_TELEGRAM_TOKEN") from None
    except NetworkError as exc:
        if required:
            raise ConfigError(
                f"Telegram's Bot API does not answer ({type(exc).__name__})"
            ) from None
        log.warning("telegram.unreachable type=%s", type(exc).__name__)
        return None
    me = bot.bot
    log.info("telegram.ready username=%s", me.username)
    return me


async def set_webhook(settings: Settings, url: str) -> User:
    """Tell Telegram to POST updates to `url` with the secret header; returns the bot."""
    if not url.startswith("https://"):
        raise ConfigError(f"Telegram only calls https:// webhooks, not {url!r}")
    secret = check_webhook_secret(settings)
    bot = build_bot(settings)
    try:
        me = await start_bot(bot, required=True)
        assert me is not None
        await bot.set_webhook(url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))
    except TelegramError as exc:  # Telegram's own words, e.g. "bad webhook: …"
        raise ConfigError(f"Telegram refused the webhook: {exc.message}") from None
    finally:
        await bot.shutdown()
    log.info("telegram.webhook_set")
    return me
