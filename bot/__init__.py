"""Messenger gateway: one channel-agnostic core (bot.core) and thin channel adapters."""
