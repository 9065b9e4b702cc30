"""The keys of the current screen, on one line."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

from digest_tui.tui.widgets.styling import ComponentStyles


class KeyBar(Widget):
    """The shown bindings of the screen, like Textual's ``Footer``.

    One widget that draws one line, where ``Footer`` composes a widget per
    key and composes them again whenever the bindings change (each focus
    change): at start-up that styling was a tenth of the launch.  A key is
    clicked as if it were pressed.
    """

    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        dock: bottom;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyBar > .key-bar--disabled {
        text-style: dim;
    }
    """
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--disabled"}

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self._styles = ComponentStyles(self)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        self.refresh()

    def shown(self) -> list[tuple[Binding, bool]]:
        """The bindings drawn, one per action, and whether each is enabled."""
        seen: set[str] = set()
        keys: list[tuple[Binding, bool]] = []
        active = self.screen.active_bindings
        for _node, binding, enabled, _tooltip in active.values():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                keys.append((binding, enabled))
        if self.app.ENABLE_COMMAND_PALETTE:
            palette = active.get(self.app.COMMAND_PALETTE_BINDING)
            if palette is not None and palette[1].action not in seen:
                keys.append((palette[1], palette[2]))
        return keys

    def render(self) -> Text:
        key_style = self._styles("key-bar--key")
        description_style = self._styles("key-bar--description")
        disabled = self._styles("key-bar--disabled")
        line = Text(no_wrap=True, overflow="crop", end="")
        for binding, enabled in self.shown():
            click = Style.from_meta({"@click": f"app.simulate_key({binding.key!r})"})
            dim = Style() if enabled else disabled
            line.append(f" {self.app.get_key_display(binding)} ", key_style + dim + click)
            if binding.description:
                line.append(f"{binding.description} ", description_style + dim + click)
        return line
