"""Sample files for the upload tests, made on the fly (nothing binary is committed)."""
from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825


def jpeg_with_gps(size: tuple[int, int] = (64, 48), color=(200, 30, 30)) -> bytes:
    img = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"                       # Make
    exif[0x0112] = 1                                  # Orientation
    exif[GPS_IFD] = {1: "N", 2: (21.0, 1.0, 30.0), 3: "E", 4: (105.0, 50.0, 10.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes(), quality=95)
    return out.getvalue()


def png_with_exif() -> bytes:
    img = Image.new("RGBA", (32, 32), (0, 120, 200, 255))
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (10.0, 0.0, 0.0)}
    out = io.BytesIO()
    img.save(out, "PNG", exif=exif.tobytes())
    return out.getvalue()


def tiny_pdf() -> bytes:
    """A minimal, well-formed one-page PDF."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def windows_exe() -> bytes:
    """The start of a Windows executable (MZ header + PE stub) — what a renamed .exe looks like."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + \
        b"\x80\x00\x00\x00" + b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 200


def elf_binary() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def fake_pdf() -> bytes:
    """A text document someone named .pdf."""
    return "Đây không phải là PDF, chỉ là văn bản.\n".encode("utf-8") * 20


def truncated_pdf() -> bytes:
    """Starts like a PDF but is cut off / not a PDF body."""
    return b"%PDF-1.7\n" + b"\x00garbage" * 100


def heic_photo() -> bytes | None:
    try:
        import pillow_heif
    except ImportError:
        return None
    img = Image.new("RGB", (64, 64), (10, 200, 10))
    out = io.BytesIO()
    try:
        pillow_heif.from_pillow(img).save(out, quality=80)
    except Exception:   # no HEVC encoder in this build
        return None
    return out.getvalue()
