"""Papers sent ahead (issue #5): validation (validate.py), encrypted storage (storage.py),
submissions, officer review, erasure and retention (service.py), what people read (dialogue.py).

Plain Python: no Rasa, no Telegram. The gateway (bot/uploads.py) is the only process that
receives file bytes; the Rasa actions (actions/uploads.py) drive the dialogue.
"""
