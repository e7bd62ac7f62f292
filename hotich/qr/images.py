"""QR module matrix → PNG and SVG files."""
from __future__ import annotations

from pathlib import Path

from PIL import Image

from hotich.qr.matrix import dark_runs, qr_matrix

PNG_MODULE_PX = 10


def write_png(data: str, path: Path, module_px: int = PNG_MODULE_PX) -> Path:
    m = qr_matrix(data)
    n = len(m)
    img = Image.new("1", (n, n), 1)
    img.putdata([0 if dark else 1 for row in m for dark in row])
    # Nearest-neighbour scaling keeps module edges sharp for printing.
    img.resize((n * module_px, n * module_px), Image.NEAREST).save(path, format="PNG", optimize=True)
    return path


def svg_text(data: str, size_mm: float = 60.0) -> str:
    m = qr_matrix(data)
    n = len(m)
    d = "".join(f"M{x} {y}h{w}v1h-{w}z" for x, y, w in dark_runs(m))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_mm}mm" height="{size_mm}mm" '
        f'viewBox="0 0 {n} {n}" shape-rendering="crispEdges">\n'
        f'<rect width="{n}" height="{n}" fill="#fff"/>\n'
        f'<path fill="#000" d="{d}"/>\n'
        "</svg>\n"
    )


def write_svg(data: str, path: Path) -> Path:
    path.write_text(svg_text(data), encoding="utf-8")
    return path
