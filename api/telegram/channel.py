"""One Telegram update → at most one `InboundMessage` → the engine → sendMessage calls.

A text is the message; `/start` greets; a pressed button sends its payload; a shared
contact sends its phone number. A photo, video or file is downloaded and stored only
while the ticket form asks for an attachment, so nobody can fill the disk by sending
files to the bot. The engine is synchronous (SQLAlchemy), so it runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio.to_thread
from telegram import Bot, CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError

from api.services import Services
from api.telegram.rendering import CallbackPayloads, split_text
from bot.domain import InboundMessage, Mode, Reply
from bot.errors import AttachmentRejected
from bot.text import to_persian_digits

__all__ = ["CHANNEL", "TelegramChannel", "chat_id_of", "sender_id"]

log = logging.getLogger("pasokhgoo.telegram")

CHANNEL = "telegram"
_PREFIX = "telegram:"
GREETING = "/greet"  # what /start becomes: the greet intent, as a button payload

# what the adapter itself answers (the dialogue's own words are in bot.dialogue.texts)
FILE_NOT_EXPECTED = (
    "فایل فقط هنگام ثبت تیکت، وقتی پیوست خواسته شود، پذیرفته می‌شود. اگر سؤالی دارید، آن را بنویسید."
)
FILE_NOT_MEDIA = (
    "فقط عکس یا ویدئو پذیرفته می‌شود. لطفاً عکس یا ویدئو بفرستید یا «بدون پیوست» را بزنید."
)
FILE_TOO_LARGE = (
    "حجم این فایل بیشتر از {mb} مگابایت است. لطفاً فایل کوچک‌تری بفرستید یا «بدون پیوست» را بزنید."
)
UNSUPPORTED = "فعلاً فقط پیام نوشتاری، عکس، ویدئو و شمارهٔ تماس را می‌توانم بخوانم."
TOO_LONG = "پیامتان طولانی‌تر از {limit} نویسه است؛ لطفاً کوتاه‌تر بنویسید."
BUTTON_EXPIRED = "این دکمه دیگر کار نمی‌کند؛ لطفاً درخواستتان را بنویسید."
SORRY = "متأسفم، الان نتوانستم پیامتان را بررسی کنم. لطفاً چند دقیقهٔ دیگر دوباره بفرستید."


def sender_id(chat_id: int) -> str:
    return f"{_PREFIX}{chat_id}"


def chat_id_of(sender: str) -> int | None:
    """The Telegram chat of a conversation, or None when it is another channel's."""
    if not sender.startswith(_PREFIX):
        return None
    try:
        return int(sender.removeprefix(_PREFIX))
    except ValueError:
        return None


def phone_text(number: str) -> str:
    """A shared contact's number; Telegram often sends it international without the "+"."""
    number = number.strip()
    return number if number.startswith(("+", "0")) else f"+{number}"


def _is_start(text: str) -> bool:
    words = text.split(maxsplit=1)
    return bool(words) and words[0].split("@", 1)[0] == "/start"


@dataclass(frozen=True, slots=True)
class TelegramFile:
    file_id: str
    size: int | None
    name: str


def _file_of(message: Message, max_bytes: int) -> TelegramFile | None:
    """The photo (its largest size within the limit), video or file a message carries."""
    if message.photo:
        sizes = sorted(message.photo, key=lambda p: p.width * p.height)
        fitting = [p for p in sizes if p.file_size is None or p.file_size <= max_bytes]
        photo = fitting[-1] if fitting else sizes[0]
        return TelegramFile(photo.file_id, photo.file_size, "photo.jpg")
    for media, default_name in (
        (message.video, "video.mp4"),
        (message.animation, "animation.mp4"),
        (message.video_note, "video.mp4"),
        (message.document, "document"),
    ):
        if media is not None:
            name = getattr(media, "file_name", None) or default_name
            return TelegramFile(media.file_id, media.file_size, name)
    return None


class RecentUpdates:
    """The last `size` update ids: Telegram sends an update again when it got no 200."""

    def __init__(self, size: int = 10_000) -> None:
        self._ids: OrderedDict[int, None] = OrderedDict()
        self._size = size

    def first_time(self, update_id: int) -> bool:
        if update_id in self._ids:
            return False
        self._ids[update_id] = None
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True


class ChatLocks:
    """One asyncio lock per chat while it has updates in hand: a customer's messages are
    handled in the order they came, other customers' meanwhile."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[key]


class TelegramChannel:
    """Telegram updates in, engine replies out; shared by the webhook and polling."""

    def __init__(self, bot: Bot, services: Services, *, remember_updates: int = 10_000) -> None:
        self.bot = bot
        self.services = services
        self.callbacks = CallbackPayloads()
        self._recent = RecentUpdates(remember_updates)
        self._chats = ChatLocks()

    async def process(self, update: Update) -> None:
        """Handle one update. Never raises: Telegram has had its answer already."""
        if not self._recent.first_time(update.update_id):
            log.info("telegram.update_duplicate")
            return
        chat = update.effective_chat
        if chat is None or (update.message is None and update.callback_query is None):
            log.debug("telegram.update_ignored")
            return
        if chat.type != ChatType.PRIVATE:  # a support conversation is one customer's
            log.info("telegram.group_ignored")
            return
        sender = sender_id(chat.id)
        async with self._chats.hold(sender):
            try:
                if update.callback_query is not None:
                    message = await self._from_callback(update.callback_query, chat.id)
                else:
                    assert update.message is not None
                    message = await self._from_message(update.message, chat.id)
                if message is None:
                    return
                result = await anyio.to_thread.run_sync(self.services.engine.handle, message)
            except Exception as exc:  # the customer hears something; the log, no content
                log.warning("telegram.update_failed type=%s", type(exc).__name__)
                log.debug("telegram.update_failed", exc_info=True)
                await self.say(chat.id, SORRY)
                return
            try:
                await self.send(chat.id, result.replies)
            except TelegramError as exc:  # the turn is recorded; only its answer is lost
                log.warning("telegram.send_failed type=%s", type(exc).__name__)

    async def send(self, chat_id: int, replies: Sequence[Reply]) -> None:
        """Each reply in parts of at most 4,096 characters, its buttons under the last."""
        try:
            for reply in replies:
                parts = split_text(reply.text)
                keyboard = self.callbacks.keyboard(reply.buttons)
                for number, part in enumerate(parts, 1):
                    markup = keyboard if number == len(parts) else None
                    await self.bot.send_message(chat_id, part, reply_markup=markup)
        except Forbidden:  # the customer blocked the bot or deleted the chat
            log.info("telegram.blocked")

    async def say(self, chat_id: int, text: str) -> None:
        """Send the adapter's own notice; a failure is only logged."""
        try:
            await self.send(chat_id, [Reply(text)])
        except TelegramError as exc:
            log.warning("telegram.send_failed type=%s", type(exc).__name__)

    async def _from_callback(self, query: CallbackQuery, chat_id: int) -> InboundMessage | None:
        try:  # stops the spinner on the pressed button
            await query.answer()
        except TelegramError as exc:  # too late (over 15 s) or gone: the press still counts
            log.info("telegram.callback_answer_failed type=%s", type(exc).__name__)
        data = query.data or ""
        payload = self.callbacks.payload_for(data) or _pressed_title(query, data)
        if not payload:
            await self.say(chat_id, BUTTON_EXPIRED)
            return None
        return InboundMessage(sender_id(chat_id), payload, CHANNEL, {"callback_query_id": query.id})

    async def _from_message(self, message: Message, chat_id: int) -> InboundMessage | None:
        settings = self.services.settings
        sender = sender_id(chat_id)
        text = (message.text or message.caption or "").strip()
        if message.contact is not None:
            text = phone_text(message.contact.phone_number)
        elif _is_start(text):
            text = GREETING
        attachment_ids: tuple[str, ...] = ()
        file = _file_of(message, settings.max_attachment_bytes)
        if file is not None:
            if await self._expects_attachment(sender):
                stored = await self._store(chat_id, sender, file)
                if stored is None:
                    return None
                attachment_ids = (stored,)
            elif not text:
                await self.say(chat_id, FILE_NOT_EXPECTED)
                return None
        if len(text) > settings.max_message_chars:
            limit = to_persian_digits(str(settings.max_message_chars))
            await self.say(chat_id, TOO_LONG.format(limit=limit))
            return None
        if not text and not attachment_ids:  # a sticker, voice, location…
            await self.say(chat_id, UNSUPPORTED)
            return None
        metadata = {"message_id": message.message_id}
        return InboundMessage(sender, text, CHANNEL, metadata, attachment_ids)

    async def _expects_attachment(self, sender: str) -> bool:
        state = await anyio.to_thread.run_sync(self.services.stores.conversations.load, sender)
        form = state.form
        return state.mode is Mode.BOT and form is not None and form.requested_slot == "attachment"

    async def _store(self, chat_id: int, sender: str, file: TelegramFile) -> str | None:
        """Download the file and keep it; the id of the attachment, or None when refused."""
        limit = self.services.settings.max_attachment_bytes
        if file.size is not None and file.size > limit:
            await self.say(chat_id, _too_large(limit))
            return None
        remote = await self.bot.get_file(file.file_id)
        content = bytes(await remote.download_as_bytearray())
        save = self.services.stores.attachments.save
        try:
            attachment = await anyio.to_thread.run_sync(save, sender, file.name, content)
        except AttachmentRejected as exc:
            log.info("telegram.attachment_rejected code=%s", exc.code)
            too_large = exc.code == "attachment_too_large"
            await self.say(chat_id, _too_large(limit) if too_large else FILE_NOT_MEDIA)
            return None
        log.info("telegram.attachment_stored kind=%s", attachment.kind)
        return attachment.id


def _too_large(limit: int) -> str:
    return FILE_TOO_LARGE.format(mb=to_persian_digits(f"{limit / 1024 / 1024:g}"))


def _pressed_title(query: CallbackQuery, data: str) -> str | None:
    """A forgotten key's button title, read off the keyboard of the message it sits under:
    the engine understands the title as text almost as well as the payload."""
    message = query.message
    markup = getattr(message, "reply_markup", None) if message is not None else None
    for row in getattr(markup, "inline_keyboard", ()):
        for button in row:
            if button.callback_data == data:
                return button.text
    return None
