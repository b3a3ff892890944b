"""QR codes as inline SVG (no images to host, crisp on paper and screens)."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from markupsafe import Markup


def qr_svg(data: str, *, label: str = "") -> Markup:
    """An ``<svg>`` element encoding ``data``; ``label`` becomes its accessible name."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    svg = image.to_string(encoding="unicode")
    # Drop the XML declaration; make it scale with CSS and carry a name for screen readers.
    svg = svg[svg.index("<svg") :]
    title = Markup("<title>{}</title>").format(label) if label else ""
    svg = svg.replace("<svg ", '<svg class="qr" role="img" ', 1)
    head, _, rest = svg.partition(">")
    return Markup(f"{head}>{title}{rest}")
