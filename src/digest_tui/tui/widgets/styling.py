"""Component styles resolved against the background they are drawn on.

Textual's partial component styles (``get_component_rich_style(partial=True)``)
pass a theme's ``auto`` colours (``$text`` is ``auto 87%``, ``$text-muted``
``auto 60%``) and translucent ones (``$block-cursor-blurred-background``) to
Rich as they are: an ``auto`` colour becomes white and the alpha is dropped,
which is white text on a light theme's cream.  :func:`component_style` does
what Textual does for whole widgets: an ``auto`` colour is the contrasting
text of the background below it, a translucent colour is blended over it.
"""

from __future__ import annotations

from rich.style import Style
from textual.color import Color
from textual.widget import Widget


def component_style(widget: Widget, name: str) -> Style:
    """The Rich style of ``widget``'s component class ``name``, every colour
    resolved against the background it is drawn on (the component's own
    background over the widget's)."""
    styles = widget.get_component_styles(name)
    background = widget.background_colors[1]
    own_background = styles.has_rule("background")
    if own_background:
        background = background + styles.background
    color: Color | None = None
    if styles.has_rule("color"):
        wanted = styles.color
        if styles.auto_color or wanted.auto:
            color = background + background.get_contrast_text(wanted.a)
        else:
            color = background + wanted
    style = Style(
        color=color.rich_color if color is not None else None,
        bgcolor=background.rich_color if own_background else None,
    )
    return style + styles.text_style


class ComponentStyles:
    """:func:`component_style` for one widget, kept until the theme, the
    widget's focus or its styles change."""

    def __init__(self, widget: Widget) -> None:
        self._widget = widget
        self._cache: dict[tuple[str, bool, str], Style] = {}

    def __call__(self, name: str) -> Style:
        widget = self._widget
        key = (name, widget.has_focus, widget.app.theme)
        style = self._cache.get(key)
        if style is None:
            style = self._cache[key] = component_style(widget, name)
        return style

    def clear(self) -> None:
        self._cache.clear()
