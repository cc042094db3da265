"""Small files the demo's customers and agents attach: photos drawn from a few rectangles
and one-page PDFs, generated here so the repository carries no binaries."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

Colour = tuple[int, int, int]
Rect = tuple[int, int, int, int, Colour]


@dataclass(frozen=True)
class DemoFile:
    content_type: str
    make: Callable[[], bytes]


def png(width: int, height: int, background: Colour, rects: tuple[Rect, ...]) -> bytes:
    """An RGB PNG of ``rects`` (x0, y0, x1, y1, colour) painted in order on a background."""
    rows = []
    for y in range(height):
        row = [background] * width
        for x0, y0, x1, y1, colour in rects:
            if y0 <= y < y1:
                row[x0:x1] = [colour] * (min(x1, width) - x0)
        rows.append(b"\x00" + b"".join(bytes(pixel) for pixel in row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def pdf(lines: tuple[str, ...]) -> bytes:
    """A one-page PDF showing ``lines`` (ASCII) in Helvetica."""
    text = ["BT /F1 12 Tf 56 780 Td 16 TL"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text.append(f"({escaped}) Tj T*")
    text.append("ET")
    stream = "\n".join(text).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


_CARDBOARD: Colour = (176, 132, 84)
_STEEL: Colour = (150, 156, 164)

FILES: dict[str, DemoFile] = {
    "термос_вмятина.png": DemoFile(
        "image/png",
        lambda: png(
            160,
            120,
            (214, 208, 196),
            (
                (20, 14, 140, 110, _CARDBOARD),
                (20, 56, 140, 66, (222, 200, 150)),
                (58, 24, 102, 100, _STEEL),
                (58, 24, 102, 34, (60, 64, 70)),
                (82, 54, 102, 74, (112, 118, 126)),
            ),
        ),
    ),
    "бирка_куртки.png": DemoFile(
        "image/png",
        lambda: png(
            160,
            120,
            (38, 70, 60),
            (
                (44, 18, 116, 102, (244, 244, 238)),
                (54, 30, 106, 36, (30, 30, 30)),
                (54, 44, 96, 48, (60, 60, 60)),
                (54, 56, 100, 60, (60, 60, 60)),
                (54, 72, 74, 90, (30, 30, 30)),
                (80, 72, 100, 90, (30, 30, 30)),
            ),
        ),
    ),
    "ошибка_приложения.png": DemoFile(
        "image/png",
        lambda: png(
            90,
            180,
            (250, 250, 250),
            (
                (0, 0, 90, 22, (34, 94, 72)),
                (8, 34, 82, 44, (220, 220, 220)),
                (8, 52, 70, 62, (220, 220, 220)),
                (6, 80, 84, 112, (229, 57, 53)),
                (14, 92, 76, 100, (255, 235, 235)),
                (20, 140, 70, 158, (34, 94, 72)),
            ),
        ),
    ),
    "дуга_палатки.png": DemoFile(
        "image/png",
        lambda: png(
            160,
            120,
            (96, 140, 70),
            (
                (10, 54, 74, 62, (70, 74, 80)),
                (84, 60, 150, 68, (70, 74, 80)),
                (72, 50, 80, 66, (200, 200, 205)),
            ),
        ),
    ),
    "фонарь_не_заряжается.png": DemoFile(
        "image/png",
        lambda: png(
            160,
            120,
            (52, 52, 58),
            (
                (40, 40, 120, 84, (20, 20, 22)),
                (52, 50, 84, 74, (230, 230, 200)),
                (98, 56, 106, 64, (200, 40, 40)),
                (0, 56, 40, 66, (235, 120, 30)),
            ),
        ),
    ),
    "Schet_318_Tropa.pdf": DemoFile(
        "application/pdf",
        lambda: pdf(
            (
                "OOO Tropa  -  INN 7701234567  -  KPP 770101001",
                "Invoice No. 318",
                "Buyer: OOO Severny Veter, INN 7805123456",
                "",
                "1. Thermos Kettle 1 l, steel     12 pcs x 3 450.00 = 41 400.00 RUB",
                "2. Laser engraving (logo)        12 pcs x   600.00 =  7 200.00 RUB",
                "",
                "Total: 48 600.00 RUB, VAT included",
                "Payment due within 5 banking days.",
            )
        ),
    ),
    "Platezhka_112.pdf": DemoFile(
        "application/pdf",
        lambda: pdf(
            (
                "Payment order No. 112",
                "Payer: OOO Severny Veter, INN 7805123456",
                "Recipient: OOO Tropa, INN 7701234567",
                "Amount: 48 600.00 RUB",
                "Purpose: payment for invoice No. 318, VAT included",
                "Status: executed by the bank",
            )
        ),
    ),
    "Schet_341_Tropa.pdf": DemoFile(
        "application/pdf",
        lambda: pdf(
            (
                "OOO Tropa  -  INN 7701234567  -  KPP 770101001",
                "Invoice No. 341",
                "Buyer: ANO Turklub Gorizont, INN 5407123890",
                "",
                "1. Backpack Alpina 45, graphite  20 pcs x 8 900.00 = 178 000.00 RUB",
                "   Club discount 7%                                  -12 460.00 RUB",
                "",
                "Total: 165 540.00 RUB, VAT included",
                "Payment due within 5 banking days.",
            )
        ),
    ),
}
