"""Appointment booking at the commune office (issue #4).

Plain Python, no Rasa, no Telegram: the slot calendar (calendar.py), Vietnamese date phrases
(dates.py), phone numbers (phone.py), booking codes (codes.py), the race-safe DB service
(service.py), reminders (reminders.py), the officer side (officer.py) and the form dialogue
the Rasa actions adapt (dialogue.py). Every function that needs "now" receives it.
"""
