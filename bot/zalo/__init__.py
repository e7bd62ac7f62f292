"""Zalo channels: the Zalo Bot Platform (bot.py) and the Zalo Official Account (oa.py).

Both share one adapter shape (common.py): text in, the resident's papers (images, files) through
the same consent/validation/encrypted storage as every channel, answers split under Zalo's 2000
characters, and choices as numbered lists — a reply with the number picks it (kept in the DB).
The HTTP calls are plain aiohttp (see README, "Zalo", for why no SDK).
"""
