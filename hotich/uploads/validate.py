"""What a resident may send: JPEG, PNG, PDF (and HEIC photos from iPhones), checked by content.

The file name and the declared MIME type are never trusted: the first bytes decide, and images
must also decode. Photos are re-encoded without their metadata (EXIF carries the GPS location
where the photo was taken); HEIC becomes JPEG so that every officer's device can open it.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

try:  # optional: without pillow-heif, HEIC is refused like any other unknown type
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIC_SUPPORTED = True
except Exception:  # pragma: no cover - depends on the installed wheels
    HEIC_SUPPORTED = False

MAX_PIXELS = 60_000_000          # 60 MP: larger than any phone camera, bounds memory on a 2-core box
HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}

ERR_EMPTY = "Tệp bạn gửi bị trống. Bạn vui lòng chụp hoặc chọn lại tệp."
ERR_TYPE = ("Mình chỉ nhận ảnh chụp (JPEG, PNG{heic}) hoặc tệp PDF. Tệp bạn vừa gửi không phải loại này "
            "nên đã không được lưu.")
ERR_FAKE_PDF = "Tệp này có tên PDF nhưng nội dung không phải PDF hợp lệ nên đã không được lưu."
ERR_BROKEN_IMAGE = "Ảnh này bị lỗi hoặc không mở được nên đã không được lưu. Bạn vui lòng chụp lại."
ERR_TOO_BIG = "Tệp quá lớn (tối đa {mb} MB). Bạn vui lòng chụp lại với độ phân giải thấp hơn hoặc chia nhỏ tệp PDF."
ERR_TOO_MANY_PIXELS = "Ảnh quá lớn để xử lý. Bạn vui lòng chụp lại với độ phân giải thấp hơn."


class Rejected(ValueError):
    """A file that is not kept; `message` is what the resident reads (Vietnamese)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CleanFile:
    kind: str          # "jpeg" | "png" | "pdf"
    data: bytes        # what is stored: images re-encoded without metadata, PDFs as sent

    @property
    def mime(self) -> str:
        return MIME[self.kind]

    @property
    def ext(self) -> str:
        return EXT[self.kind]


MIME = {"jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
EXT = {"jpeg": "jpg", "png": "png", "pdf": "pdf"}


def type_error_text() -> str:
    return ERR_TYPE.format(heic=", HEIC" if HEIC_SUPPORTED else "")


def too_big_text(max_bytes: int) -> str:
    return ERR_TOO_BIG.format(mb=max(1, max_bytes // (1024 * 1024)))


def sniff(head: bytes) -> str | None:
    """The type by magic bytes: 'jpeg', 'png', 'pdf', 'heic' or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "heic"
    return None


def check_size(size: int | None, max_bytes: int) -> None:
    """Refuse by the declared size before anything is downloaded (Telegram's file_size)."""
    if size is not None and size > max_bytes:
        raise Rejected("too_big", too_big_text(max_bytes))


def validate(data: bytes, filename: str | None, max_bytes: int) -> CleanFile:
    """Check a received file and return what may be stored, or raise Rejected."""
    if not data:
        raise Rejected("empty", ERR_EMPTY)
    check_size(len(data), max_bytes)
    kind = sniff(data[:32])
    named_pdf = (filename or "").lower().endswith(".pdf")
    if kind is None or (kind == "heic" and not HEIC_SUPPORTED):
        raise Rejected("fake_pdf" if named_pdf else "type", ERR_FAKE_PDF if named_pdf else type_error_text())
    if kind == "pdf":
        # A real PDF ends with an %%EOF marker (possibly followed by whitespace/garbage).
        if b"%%EOF" not in data[-2048:]:
            raise Rejected("fake_pdf", ERR_FAKE_PDF)
        return CleanFile("pdf", data)
    return CleanFile(*_clean_image(data, kind))


def _clean_image(data: bytes, kind: str) -> tuple[str, bytes]:
    """Decode fully, apply the EXIF orientation, re-encode without any metadata."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.width * img.height > MAX_PIXELS:
                raise Rejected("pixels", ERR_TOO_MANY_PIXELS)
            img.load()
    except Rejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Rejected("pixels", ERR_TOO_MANY_PIXELS) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise Rejected("broken", ERR_BROKEN_IMAGE) from None
    img = ImageOps.exif_transpose(img)   # keep the photo upright once the EXIF tag is gone
    out = io.BytesIO()
    if kind == "png":
        if img.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
            img = img.convert("RGBA")
        img.save(out, "PNG", optimize=False)   # no pnginfo/exif passed: text and eXIf chunks dropped
        return "png", out.getvalue()
    if img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    img.save(out, "JPEG", quality=90, optimize=True)   # no exif/icc/comment passed
    return "jpeg", out.getvalue()
