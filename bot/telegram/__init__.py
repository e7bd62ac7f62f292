"""Telegram channel (python-telegram-bot): a thin adapter around bot.core / bot.outbox.

app.py       TelegramChannel: polling (default) or webhook, rate limiter, command menu
sender.py    sending (render, order per chat) and the delivery port's Pusher
staff.py     staff group topics (hand-off); uploads.py papers and officer review
handlers.py  Update → IncomingMessage → replies; dedup, buttons, Rasa-down handling
render.py    OutgoingMessage → HTML chunks (≤ 4096) + inline keyboard
callbacks.py long button payloads ↔ `cb:<token>`; pressed keyboards (durable)
dedup.py     processed update_ids (durable, pruned)
commands.py  the Vietnamese command menu
"""
