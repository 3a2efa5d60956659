"""Picture placeholders: the catalogue has no product photos, so each product shows a
soft tile in its category's colour with a line icon of the category.

The icon is chosen from words of the category's name (so a renamed or merged
category keeps a fitting icon); the colour from its slug (stable across pages).
"""

from __future__ import annotations

import zlib

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

# (background, ink): soft pastels with a darker ink of the same hue.
PALETTE = (
    ("#f6e7e1", "#9c4a33"),
    ("#e9efe4", "#4f6b3c"),
    ("#e6eef5", "#3b5f80"),
    ("#f3ecdc", "#8a6a24"),
    ("#efe6f2", "#6f4a7e"),
    ("#e3f0ee", "#2f6d64"),
    ("#f7e9ee", "#9a3d5c"),
    ("#ecebe6", "#5d5a4c"),
)

# 24 x 24 line icons (stroke = currentColor).
ICONS: dict[str, str] = {
    "gift": '<rect x="3" y="9" width="18" height="12" rx="1"/><path d="M3 13h18M12 '
    '9v12M12 9c-2-4-7-4-6-1 1 2 6 1 6 1zm0 0c2-4 7-4 6-1-1 2-6 1-6 1z"/>',
    "candle": '<rect x="8" y="10" width="8" height="11" rx="1"/><path d="M12 10V7"/>'
    '<path d="M12 2c2 2 2 4 0 5-2-1-2-3 0-5z"/>',
    "bag": '<path d="M5 8h14l-1 13H6L5 8z"/><path d="M9 8V6a3 3 0 0 1 6 0v2"/>',
    "tree": '<path d="M12 2l5 7h-3l4 6h-4l3 5H7l3-5H6l4-6H7l5-7z"/>'
    '<path d="M12 20v2"/>',
    "egg": '<path d="M12 2c4 0 7 7 7 12a7 7 0 0 1-14 0c0-5 3-12 7-12z"/>',
    "clock": '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
    "frame": '<rect x="3" y="3" width="18" height="18" rx="1"/><rect x="7" y="7" '
    'width="10" height="10"/><path d="M7 15l3-3 2 2 2-2 3 3"/>',
    "lamp": '<path d="M8 3h8l3 8H5l3-8z"/><path d="M12 11v8M8 21h8"/>',
    "gem": '<path d="M6 3h12l4 6-10 12L2 9l4-6z"/><path d="M2 9h20M9 3l3 6 3-6M12 '
    '9v12"/>',
    "pencil": '<path d="M4 20l1-5L16 4l4 4L9 19l-5 1z"/><path d="M14 6l4 4"/>',
    "envelope": '<rect x="3" y="5" width="18" height="14" rx="1"/><path d="M3 6l9 7 '
    '9-7"/>',
    "balloon": '<ellipse cx="12" cy="9" rx="6" ry="7"/><path d="M12 16l-1 2h2l-1-2M12 '
    '18c0 2 2 2 1 4"/>',
    "bear": '<circle cx="12" cy="13" r="7"/><circle cx="6" cy="6" r="2.5"/><circle '
    'cx="18" cy="6" r="2.5"/><path d="M10 15c1 1 3 1 4 0"/><circle cx="9.5" cy="11" '
    'r=".5"/><circle cx="14.5" cy="11" r=".5"/>',
    "flower": '<circle cx="12" cy="8" r="3"/><path d="M12 11v10M12 17c-3 0-5-2-5-4 '
    '3 0 5 2 5 4zm0-1c3 0 5-2 5-4-3 0-5 2-5 4z"/><path d="M9 6a3 3 0 1 1 6 0"/>',
    "box": '<path d="M3 7l9-4 9 4-9 4-9-4z"/><path d="M3 7v10l9 4 9-4V7M12 11v10"/>',
    "cushion": '<path d="M5 5c3 1 11 1 14 0-1 3-1 11 0 14-3-1-11-1-14 0 1-3 1-11 '
    '0-14z"/><circle cx="12" cy="12" r="1"/>',
    "cupcake": '<path d="M6 12h12l-2 9H8l-2-9z"/><path d="M5 12a7 5 0 0 1 14 0"/>'
    '<path d="M12 4v3"/>',
    "mug": '<path d="M4 7h12v10a4 4 0 0 1-4 4H8a4 4 0 0 1-4-4V7z"/><path d="M16 '
    '9h2a3 3 0 0 1 0 6h-2"/><path d="M8 3v2M12 3v2"/>',
    "scissors": '<circle cx="6" cy="18" r="3"/><circle cx="18" cy="18" r="3"/><path '
    'd="M8 16L18 3M16 16L6 3"/>',
    "heart": '<path d="M12 20s-8-5-8-11a4 4 0 0 1 8-1 4 4 0 0 1 8 1c0 6-8 11-8 11z"/>',
    "house": '<path d="M3 11l9-8 9 8"/><path d="M5 10v10h14V10M10 20v-6h4v6"/>',
    "lunchbox": '<rect x="3" y="8" width="18" height="12" rx="2"/><path d="M9 8V5h6v3'
    'M3 13h18"/>',
    "drop": '<path d="M12 3s7 7 7 12a7 7 0 0 1-14 0c0-5 7-12 7-12z"/>',
    "chair": '<path d="M7 3v18M17 3v18M7 12h10M7 3h10M7 8h10"/>',
    "radio": '<rect x="3" y="8" width="18" height="12" rx="2"/><circle cx="15" cy="14" '
    'r="3"/><path d="M6 12h4M6 16h4M7 8l9-5"/>',
    "star": '<path d="M12 3l2.8 5.8 6.2.9-4.5 4.4 1 6.2L12 17.4l-5.5 2.9 1-6.2L3 '
    '9.7l6.2-.9L12 3z"/>',
}
# first word found in the lower-cased category name decides the icon
WORDS = (
    ("christmas", "tree"), ("easter", "egg"), ("candle", "candle"),
    ("lunch", "lunchbox"), ("bag", "bag"), ("purse", "bag"), ("clock", "clock"),
    ("frame", "frame"), ("mirror", "frame"), ("sign", "frame"), ("wall", "frame"),
    ("lamp", "lamp"), ("light", "lamp"), ("jewel", "gem"), ("station", "pencil"),
    ("card", "envelope"), ("wrap", "envelope"), ("party", "balloon"),
    ("toy", "bear"), ("game", "bear"), ("garden", "flower"), ("storage", "box"),
    ("box", "box"), ("cushion", "cushion"), ("furnish", "cushion"),
    ("kitchen", "cupcake"), ("baking", "cupcake"), ("mug", "mug"),
    ("tableware", "mug"), ("craft", "scissors"), ("sewing", "scissors"),
    ("decoration", "heart"), ("home", "house"), ("bath", "drop"),
    ("beauty", "drop"), ("furniture", "chair"), ("gadget", "radio"),
    ("accessor", "star"),
)  # fmt: skip


def placeholder(category) -> dict:
    """``{"bg", "fg", "icon"}`` of a category (or None: the shop's gift tile)."""
    name = (getattr(category, "name", "") or "").lower()
    slug = getattr(category, "slug", "") or name or "gift"
    icon = next((icon for word, icon in WORDS if word in name), "gift")
    bg, fg = PALETTE[zlib.crc32(slug.encode()) % len(PALETTE)]
    return {"bg": bg, "fg": fg, "icon": icon}


def tile_svg(category, *, label: str = "") -> SafeString:
    """The placeholder picture as inline SVG markup (decorative unless labelled)."""
    look = placeholder(category)
    aria = (
        format_html('role="img" aria-label="{}"', label)
        if label
        else mark_safe('aria-hidden="true"')
    )
    return format_html(
        '<svg class="tile-icon" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
        'stroke-width="1.2" stroke-linecap="round" stroke-linejoin="round" {}>{}</svg>',
        aria,
        mark_safe(ICONS[look["icon"]]),  # our own constant markup
    )
