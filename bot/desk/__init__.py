"""The officers' web desk under /can-bo/: server-rendered pages (aiohttp-jinja2) with a small
vendored htmx for live parts. See bot/desk/app.py for the routes."""
