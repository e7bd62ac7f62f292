"""Appointment booking at the commune office.

Plain Python, no Rasa, no Telegram: the slot calendar (calendar.py), Vietnamese date phrases
(dates.py), names (names.py), phone numbers (phone.py), booking codes (codes.py), the race-safe
DB service (service.py), reminders (reminders.py), the officer side (officer.py), what the Rasa
booking form reads and checks for each slot (form.py) and what the resident reads (dialogue.py).
Every function that needs "now" receives it.
"""
