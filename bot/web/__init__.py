"""Web chat adapter: a small page and a JSON API over the gateway core."""
from bot.web.app import create_web_app

__all__ = ["create_web_app"]
