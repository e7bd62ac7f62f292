"""The Vietnamese-capable fonts shipped with the project (DejaVu Sans, see LICENSE-DejaVu.txt).

Shipped rather than looked up on the system: a machine without them would silently fall back
to a core PDF font and print "Ph??ng" instead of "Phượng"."""
from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
REGULAR = FONT_DIR / "DejaVuSans.ttf"
BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
