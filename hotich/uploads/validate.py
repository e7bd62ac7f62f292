"""What a resident may send: JPEG, PNG, PDF (and HEIC photos from iPhones), checked by content.

The file name and the declared MIME type are never trusted: the first bytes decide, then the file
is parsed for real, in a separate process with a memory ceiling (hotich.uploads.sandbox), and what
is stored is a rewrite, never the bytes as sent:
- images: the pixel count is read from the header and checked before anything is decoded
  (≤ 40 MP: the largest phone photos are 12–50 MP, binned to ≤ 12 MP by default); decoded by the
  plugin of the sniffed type only; re-encoded without any metadata block (EXIF with the GPS
  location, XMP, ICC, JPEG comments); HEIC becomes JPEG so that every officer's device opens it.
- PDFs: parsed by qpdf (pikepdf) without repair; JavaScript, launch/submit/import actions, an
  opening action, automatic actions (/AA), embedded files and XFA forms are refused, a broken
  structure is refused; document info and XMP metadata are removed and the file is rewritten
  (objects no page refers to are not carried over). A bare "open at this page" destination is
  not an action: it is dropped in the rewrite.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from hotich.uploads.sandbox import Sandbox, SandboxFailed, default_sandbox

try:  # optional: without pillow-heif, HEIC is refused like any other unknown type
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIC_SUPPORTED = True
except Exception:  # pragma: no cover - depends on the installed wheels
    HEIC_SUPPORTED = False

MAX_PIXELS = 40_000_000          # 40 MP: above what phones store by default; bounds decoding memory
MAX_PDF_PAGES = 200
HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
PIL_FORMATS = {"jpeg": ["JPEG"], "png": ["PNG"], "heic": ["HEIF"]}

ERR_EMPTY = "Tệp anh/chị gửi bị trống. Anh/chị vui lòng chụp hoặc chọn lại tệp."
ERR_TYPE = ("Dạ, em chỉ nhận ảnh chụp (JPEG, PNG{heic}) hoặc tệp PDF. Tệp anh/chị vừa gửi không phải loại này "
            "nên đã không được lưu.")
ERR_FAKE_PDF = ("Tệp này có tên PDF nhưng nội dung không phải PDF hợp lệ (hoặc tệp bị hỏng) nên đã không được lưu. "
                "Anh/chị vui lòng xuất lại tệp PDF hoặc chụp ảnh giấy tờ.")
ERR_BROKEN_IMAGE = "Ảnh này bị lỗi hoặc không mở được nên đã không được lưu. Anh/chị vui lòng chụp lại."
ERR_TOO_BIG = ("Tệp quá lớn (tối đa {mb} MB). Anh/chị vui lòng chụp lại với độ phân giải thấp hơn hoặc chia nhỏ "
               "tệp PDF.")
ERR_TOO_MANY_PIXELS = "Ảnh quá lớn để xử lý. Anh/chị vui lòng chụp lại với độ phân giải thấp hơn."
ERR_PDF_ACTIVE = ("Tệp PDF này có chứa mã tự chạy, tệp đính kèm bên trong hoặc lệnh mở chương trình khác, nên em "
                  "không lưu để giữ an toàn cho máy của cán bộ. Anh/chị vui lòng chụp ảnh giấy tờ, hoặc quét lại "
                  "bằng ứng dụng quét rồi gửi tệp PDF mới.")
ERR_PDF_LOCKED = "Tệp PDF này có mật khẩu nên cán bộ không mở được. Anh/chị vui lòng gửi bản không đặt mật khẩu."
ERR_PDF_PAGES = f"Tệp PDF này có quá nhiều trang (tối đa {MAX_PDF_PAGES} trang). Anh/chị vui lòng tách nhỏ tệp."

class Rejected(ValueError):
    """A file that is not kept; `message` is what the resident reads (Vietnamese)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CleanFile:
    kind: str          # "jpeg" | "png" | "pdf"
    data: bytes        # what is stored: re-encoded images, rewritten PDFs, all without metadata

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


def validate(data: bytes, filename: str | None, max_bytes: int, sandbox: Sandbox | None = None) -> CleanFile:
    """Check a received file and return what may be stored, or raise Rejected. Blocking (parsing
    happens in the sandbox process): call it from a thread, not from the event loop."""
    if not data:
        raise Rejected("empty", ERR_EMPTY)
    check_size(len(data), max_bytes)
    kind = sniff(data[:32])
    named_pdf = (filename or "").lower().endswith(".pdf")
    if kind is None or (kind == "heic" and not HEIC_SUPPORTED):
        raise Rejected("fake_pdf" if named_pdf else "type", ERR_FAKE_PDF if named_pdf else type_error_text())
    try:
        status, value, out = (sandbox or default_sandbox()).run(clean_in_worker, data, kind)
    except SandboxFailed:
        code = "fake_pdf" if kind == "pdf" else "pixels"   # out of memory or time: a bomb
        raise Rejected(code, ERR_FAKE_PDF if kind == "pdf" else ERR_TOO_MANY_PIXELS) from None
    if status != "ok":
        raise Rejected(value, MESSAGES[value])
    return CleanFile(value, out)


MESSAGES = {"pixels": ERR_TOO_MANY_PIXELS, "broken": ERR_BROKEN_IMAGE, "fake_pdf": ERR_FAKE_PDF,
            "pdf_active": ERR_PDF_ACTIVE, "pdf_locked": ERR_PDF_LOCKED, "pdf_pages": ERR_PDF_PAGES}


# ---------------------------------------------------------------------------- in the sandbox process

class _Refuse(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def clean_in_worker(data: bytes, kind: str) -> tuple[str, str, bytes]:
    """('ok', kind, bytes to store) or ('rejected', code, b''). Plain tuples cross the process
    boundary (an exception with a custom constructor would not unpickle)."""
    try:
        if kind == "pdf":
            return "ok", "pdf", _clean_pdf(data)
        return ("ok", *_clean_image(data, kind))
    except _Refuse as exc:
        return "rejected", exc.code, b""
    except MemoryError:
        return "rejected", "fake_pdf" if kind == "pdf" else "pixels", b""


def _clean_image(data: bytes, kind: str) -> tuple[str, bytes]:
    """Header first (pixel count), then decode, apply the EXIF orientation, re-encode without any
    metadata."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=PIL_FORMATS[kind])   # reads the header only
            if img.width * img.height > MAX_PIXELS:
                raise _Refuse("pixels")
            img.load()
    except _Refuse:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _Refuse("pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise _Refuse("broken") from None
    img = ImageOps.exif_transpose(img)   # keep the photo upright once the EXIF tag is gone
    # Pillow writes some blocks from `info` on its own (the JPEG comment, the ICC profile): empty it.
    transparency = img.info.get("transparency")
    img.info = {}
    out = io.BytesIO()
    if kind == "png":
        if img.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
            img = img.convert("RGBA")
        if transparency is not None:
            img.info["transparency"] = transparency
        img.save(out, "PNG", optimize=False)
        return "png", out.getvalue()
    if img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
        img.info = {}
    img.save(out, "JPEG", quality=90, optimize=True)
    return "jpeg", out.getvalue()


# Keys that make a PDF do something when opened or clicked, or carry other files.
_ACTIVE_KEYS = {"/JS", "/JavaScript", "/AA", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent"}
_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/ResetForm", "/GoToE", "/GoToR",
                   "/Rendition", "/Movie", "/Sound", "/RichMediaExecute", "/Hide", "/SetOCGState", "/Trans"}
_ACTIVE_TYPES = {"/EmbeddedFile"}
_ACTIVE_SUBTYPES = {"/FileAttachment", "/RichMedia", "/Movie", "/Sound", "/Screen", "/3D"}


def _clean_pdf(data: bytes) -> bytes:
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data), attempt_recovery=False)
    except pikepdf.PasswordError:
        raise _Refuse("pdf_locked") from None
    except (pikepdf.PdfError, ValueError, RuntimeError, OSError):
        raise _Refuse("fake_pdf") from None
    with pdf:
        try:
            n_pages = len(pdf.pages)
            if n_pages == 0:
                raise _Refuse("fake_pdf")
            if n_pages > MAX_PDF_PAGES:
                raise _Refuse("pdf_pages")
            open_action = pdf.Root.get("/OpenAction")
            if isinstance(open_action, pikepdf.Dictionary):   # an action, not a bare destination
                raise _Refuse("pdf_active")
            for obj in pdf.objects:
                _refuse_active(obj)
            for name in ("/OpenAction", "/Metadata", "/PieceInfo"):
                if name in pdf.Root:
                    del pdf.Root[name]
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            for obj in pdf.objects:
                d = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
                if isinstance(d, pikepdf.Dictionary):
                    for name in ("/Metadata", "/PieceInfo"):
                        if name in d:
                            del d[name]
            out = io.BytesIO()
            pdf.save(out, encryption=False, fix_metadata_version=False, deterministic_id=True)
        except _Refuse:
            raise
        except (pikepdf.PdfError, ValueError, RuntimeError, KeyError, TypeError, AttributeError):
            raise _Refuse("fake_pdf") from None
    return out.getvalue()


def _refuse_active(obj, depth: int = 0) -> None:
    """Refuse an active object, looking into the dictionaries and arrays written inline in it
    (indirect ones are visited on their own from pdf.objects)."""
    import pikepdf

    if depth > 32:   # nesting this deep is no paper
        raise _Refuse("fake_pdf")
    if isinstance(obj, pikepdf.Array):
        for item in obj:
            if isinstance(item, (pikepdf.Dictionary, pikepdf.Array)) and not item.is_indirect:
                _refuse_active(item, depth + 1)
        return
    d = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
    if not isinstance(d, pikepdf.Dictionary):
        return
    keys = set(d.keys())
    if keys & _ACTIVE_KEYS:
        raise _Refuse("pdf_active")
    if (str(d.get("/S", "")) in _ACTIVE_ACTIONS or str(d.get("/Type", "")) in _ACTIVE_TYPES
            or str(d.get("/Subtype", "")) in _ACTIVE_SUBTYPES):
        raise _Refuse("pdf_active")
    for key in keys:
        value = d.get(key)
        if isinstance(value, (pikepdf.Dictionary, pikepdf.Array)) and not value.is_indirect:
            _refuse_active(value, depth + 1)
