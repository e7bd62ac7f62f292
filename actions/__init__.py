"""Rasa custom actions: thin adapters from the tracker to hotich (one module per feature)."""
