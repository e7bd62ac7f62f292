"""Small bar charts as inline SVG, drawn on the server (no script, no external library)."""
from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, BAR_H, GAP, LABEL_W = 640, 22, 6, 220


def bar_chart(rows: list[tuple[str, int]], title: str) -> Markup:
    """Horizontal bars, one per (label, value); empty → a plain sentence."""
    if not rows:
        return Markup(f'<p class="muted">{escape(title)}: chưa có số liệu.</p>')
    top = max(v for _, v in rows) or 1
    height = len(rows) * (BAR_H + GAP) + 30
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>']
    for i, (label, value) in enumerate(rows):
        y = 26 + i * (BAR_H + GAP)
        w = int((WIDTH - LABEL_W - 60) * value / top)
        parts.append(f'<text x="0" y="{y + 16}" font-size="13">{escape(label[:32])}</text>')
        parts.append(f'<rect x="{LABEL_W}" y="{y}" width="{max(w, 1)}" height="{BAR_H}" fill="#2f6fae"/>')
        parts.append(f'<text x="{LABEL_W + w + 6}" y="{y + 16}" font-size="13">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
