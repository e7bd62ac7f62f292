"""Hand-off of a resident conversation to the commune officer and back (issue #6).

Plain Python over the commune DB, no Rasa or Telegram here:

ownership.py  who owns a conversation (bot → waiting → officer → closed/bot), atomic transitions
queue.py      position in the queue and estimated wait
hours.py      officers' hours from the commune profile (injected clock)
audit.py      who took, answered, forwarded and closed which chat, and when
context.py    the opening message of a staff topic (resident, procedure, last turns, papers)
"""
