"""The Telegram channel: a thin adapter between the Bot API and `Engine.handle`.

    webhook.py    POST /webhooks/telegram (secret header, answered at once) and the lifespan
    polling.py    `pasokhgoo telegram poll`: PTB's getUpdates loop, for hosts without a URL
    channel.py    an Update → one InboundMessage → the engine → sendMessage calls
    rendering.py  replies in Telegram's shape: 4,096-character parts, inline keyboards
    relay.py      operator messages from the event bus → the customer's chat
    setup.py      the Bot object from the settings, its start and stop, setWebhook

Customers are `telegram:<chat_id>` to the engine. Nothing here is imported by `bot`.
Kept free of imports so `pasokhgoo --help` does not load python-telegram-bot.
"""
