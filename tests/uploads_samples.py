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


def tiny_pdf(*extra_objects: bytes) -> bytes:
    """A minimal, well-formed one-page PDF (plus objects nothing refers to, if given)."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>", *extra_objects]
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


# ---------------------------------------------------------------------------- hostile corpus

def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width×height pixels: tiny on the wire, a bomb once decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 4096)   # far fewer rows than claimed
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def jpeg_header_only(width: int, height: int) -> bytes:
    """A real small JPEG whose SOF0 frame header is patched to claim width×height."""
    import struct

    data = bytearray(jpeg_with_gps())
    i = data.index(b"\xff\xc0")
    data[i + 5:i + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def jpeg_with_comment_xmp_icc(secret: str) -> bytes:
    img = Image.new("RGB", (40, 30), (20, 40, 60))
    out = io.BytesIO()
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>{secret}-xmp</rdf:Description></x:xmpmeta>'
    img.save(out, "JPEG", comment=f"{secret}-comment".encode(), xmp=xmp.encode(),
             icc_profile=b"\x00" * 128 + f"{secret}-icc".encode())
    return out.getvalue()


def polyglot_jpeg_zip() -> bytes:
    """A JPEG with a ZIP archive (or HTML) glued after its end marker."""
    return jpeg_with_gps() + b"PK\x03\x04" + b"\x00" * 26 + b"<html><script>alert(1)</script></html>"


def html_behind_pdf_header() -> bytes:
    return b"%PDF-1.7\n<html><body><script>fetch('//evil')</script></body></html>\n%%EOF\n"


def pdf_with(kind: str, secret: str = "Nguyen Van A") -> bytes:
    """A one-page PDF made hostile in one way: javascript, open_action_js, launch, page_aa,
    embedded_file, attachment_annot, hidden_js_object, xfa, open_destination, metadata."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name, String

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    root, page = pdf.Root, pdf.pages[0].obj
    js = Dictionary(S=Name.JavaScript, JS=String("app.alert('x')"))
    if kind == "javascript":
        root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("a"), pdf.make_indirect(js)])))
    elif kind == "open_action_js":
        root.OpenAction = pdf.make_indirect(js)
    elif kind == "launch":
        root.OpenAction = Dictionary(S=Name.Launch, F=String("cmd.exe"), Win=Dictionary(F=String("cmd.exe")))
    elif kind == "page_aa":
        page.AA = Dictionary(O=pdf.make_indirect(js))
    elif kind == "embedded_file":
        ef = pdf.make_stream(b"MZ\x90\x00 not a paper")
        ef.Type = Name.EmbeddedFile
        spec = Dictionary(Type=Name.Filespec, F=String("a.exe"), EF=Dictionary(F=ef))
        root.Names = Dictionary(EmbeddedFiles=Dictionary(Names=Array([String("a.exe"), pdf.make_indirect(spec)])))
    elif kind == "attachment_annot":
        page.Annots = Array([pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment,
                                                          Rect=Array([0, 0, 10, 10])))])
    elif kind == "hidden_js_object":   # referenced by nothing, still in the file (a rewrite would drop it)
        return tiny_pdf(b"<< /S /JavaScript /JS (app.alert(1)) >>")
    elif kind == "xfa":
        root.AcroForm = Dictionary(Fields=Array([]), XFA=pdf.make_stream(b"<xdp:xdp/>"))
    elif kind == "open_destination":
        root.OpenAction = Array([page, Name.Fit])
    elif kind == "metadata":
        pdf.docinfo["/Author"] = String(secret)
        pdf.docinfo["/Producer"] = String(secret + " scanner")
        root.Metadata = pdf.make_stream(f"<x:xmpmeta><dc:creator>{secret}</dc:creator></x:xmpmeta>".encode())
        root.Metadata.Type = Name.Metadata
        root.Metadata.Subtype = Name.XML
    else:
        raise ValueError(kind)
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return out.getvalue()


def pdf_broken_xref() -> bytes:
    """A PDF whose cross-reference table points nowhere (a real parser needs repairs to read it)."""
    data = tiny_pdf()
    i = data.index(b"startxref\n") + len(b"startxref\n")
    return data[:i] + b"99999" + data[data.index(b"\n", i):]
