"""Runs inside Rasa's venv (Python 3.10): how our Rasa processes are started and reached.

Imports Rasa; nothing in hotich/ or bot/ imports this package.
"""
