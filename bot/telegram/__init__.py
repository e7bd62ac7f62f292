"""Telegram channel (python-telegram-bot): a thin adapter around bot.core / bot.outbox.

app.py       start_telegram(): polling (default) or webhook, rate limiter, command menu
handlers.py  Update → IncomingMessage → replies; dedup, buttons, Rasa-down handling
render.py    OutgoingMessage → HTML chunks (≤ 4096) + inline keyboard
callbacks.py long button payloads ↔ `cb:<token>`; pressed keyboards (durable)
dedup.py     processed update_ids (durable, pruned)
commands.py  the Vietnamese command menu
"""
