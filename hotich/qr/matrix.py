"""URL → QR module matrix. The one place that decides error correction and quiet zone, so
the PNG, the SVG and the poster all carry the same symbol."""
from __future__ import annotations

import qrcode
from qrcode.constants import ERROR_CORRECT_H

# H (30 % recoverable): boards hang outdoors, get wet, faded and scratched.
ERROR_CORRECTION = ERROR_CORRECT_H
QUIET_ZONE = 4   # modules; ISO/IEC 18004 minimum, phones miss codes printed tighter


def qr_matrix(data: str) -> list[list[bool]]:
    """Rows of dark (True) / light modules, quiet zone included."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE, box_size=1)
    qr.add_data(data.encode("utf-8"))
    qr.make(fit=True)
    return [list(row) for row in qr.get_matrix()]


def dark_runs(matrix: list[list[bool]]):
    """(x, y, width) for each horizontal run of dark modules: fewer shapes in SVG and PDF."""
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                yield start, y, x - start
            else:
                x += 1
