"""ScanStats → PNG bar chart (scans per board and per procedure)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: the CLI runs on servers without a display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from hotich.qr import fonts  # noqa: E402
from hotich.qr.stats import ScanStats, period_text  # noqa: E402


def _font() -> str:
    for f in (fonts.REGULAR, fonts.BOLD):
        font_manager.fontManager.addfont(str(f))
    return font_manager.FontProperties(fname=str(fonts.REGULAR)).get_name()


def write_chart(stats: ScanStats, path: Path, tz: str = "Asia/Ho_Chi_Minh") -> Path:
    plt.rcParams["font.family"] = _font()
    boards = list(reversed(stats.by_board))          # barh draws bottom-up: most scanned on top
    procs = list(reversed(stats.by_procedure))
    fig, (ax_b, ax_p) = plt.subplots(
        2, 1, figsize=(10, 3 + 0.32 * (len(boards) + len(procs))),
        gridspec_kw={"height_ratios": [max(len(boards), 1), max(len(procs), 1)]})
    for ax, rows, title in ((ax_b, boards, "Theo bảng"), (ax_p, procs, "Theo thủ tục")):
        labels = [f"{r.key} · {r.label}" if r.key and ax is ax_b else r.label for r in rows]
        values = [r.scans for r in rows]
        bars = ax.barh(labels, values, color="#1f6fb2")
        ax.bar_label(bars, padding=3)
        ax.set_title(title, loc="left", fontweight="bold")
        ax.set_xlabel("Lượt quét")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlim(0, max(values + [1]) * 1.15)
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(f"Lượt quét mã QR – {stats.commune} ({period_text(stats, tz)}): {stats.total} lượt",
                 fontweight="bold")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
