"""Finding and reading QR codes in a photo of a badge (zxing-cpp)."""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import InvalidInput

MAX_SIDE = 2000  # phone photos are large; zxing reads a downscaled copy as well and faster


def decode_codes(data: bytes) -> list[str]:
    """Texts of every readable QR code in the image, best first; [] if none."""
    import zxingcpp

    try:
        opened = Image.open(io.BytesIO(data))
        opened.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InvalidInput("that file is not an image", code="not_an_image") from exc
    image: Image.Image = ImageOps.exif_transpose(opened).convert("L")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    results = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode), try_rotate=True, try_downscale=True
    )
    return [r.text for r in results if r.valid and r.text]
