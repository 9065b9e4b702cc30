"""How much of the warm start is Textual's, for a screen like the reader's.

    python benchmarks/skeleton.py CORPUS [--runs 11] [--before SRC]

Three launches, alternated, each a fresh process timed from ``exec`` until it
reports that its first screen is drawn (as in ``bench.py``), all headless at
120x36: the bare Textual app of ``bench.py`` (one word), a skeleton with the
reader's panes and no data (a header line, a filter bar with an ``Input``, a
Line-API list beside a scrolling detail pane, a key line), and the reader over
CORPUS with an up-to-date index (made by a first launch that waits for its
scan).  Prints the medians
and each one's ratio to the bare app: the skeleton's is what Textual costs for
these panes; the reader's less the skeleton's is the reader's own part
(imports, opening the stores, styles, the first page of papers).  With
``--before SRC`` the reader of the code under ``SRC/src`` (``git archive
<commit> src | tar -x -C SRC``) is a fourth launch in each round, with its own
index: old and new code alternated, under the same load.  A report, never a
test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402

SKELETON_APP = '''
import os, time
from rich.segment import Segment
from textual.app import App
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static


class Lines(ScrollView, can_focus=True):
    def on_mount(self):
        self.virtual_size = Size(60, 10000)

    def render_line(self, y):
        n = y + int(self.scroll_offset.y)
        text = f" \\u25cf Paper title number {n} \\u2026 A. Author et al. 2024-01-01"
        return Strip([Segment(text.ljust(self.size.width))])


class Skeleton(App):
    CSS = """
    #header { height: 1; dock: top; background: $panel; }
    #bar { height: 1; dock: top; }
    #bar Input { border: none; height: 1; padding: 0; }
    #main { height: 1fr; }
    Lines { width: 1fr; }
    #detail-scroll { width: 1fr; border-left: vkey $primary; scrollbar-gutter: stable; }
    #footer { height: 1; dock: bottom; background: $panel; }
    """
    AUTO_FOCUS = "Lines"

    def compose(self):
        yield Static("digest-tui \\u00b7 All \\u00b7 10,000 papers", id="header")
        with Horizontal(id="bar"):
            yield Static("/ ", id="prompt")
            yield Input(id="filter")
        with Horizontal(id="main"):
            yield Lines()
            with VerticalScroll(id="detail-scroll"):
                head = "A title\\n\\u25cf unread\\n\\nAuthors  A. Author\\n\\n"
                yield Static(head + "words " * 200)
        yield Static("j/k move  s star  r read  o open  / filter  ? help", id="footer")

    def on_mount(self):
        self.query_one(Lines).call_after_refresh(self.ready)

    def ready(self):
        os.write(2, f"ready_at={time.time()!r}\\n".encode())
        self.exit()


Skeleton().run(headless=True, size=(120, 36))
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--before", type=Path, default=None, help="a folder holding old src/")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_TUI_")}
    env.pop("PYTHONPATH", None)  # the new code is the installed one
    ready = {**env, "DIGEST_TUI_EXIT_WHEN_READY": "list"}
    import compileall

    import digest_tui

    compileall.compile_dir(Path(digest_tui.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory() as work:
        env["XDG_CONFIG_HOME"] = ready["XDG_CONFIG_HOME"] = str(Path(work) / "config")
        reader = bench.reader_argv(args.corpus, Path(work) / "cache", Path(work) / "data")
        scanned = {**ready, "DIGEST_TUI_EXIT_WHEN_READY": "scanned"}
        bench.timed(reader, scanned)  # the whole index (a launch that waits for its scan)
        apps = {
            "bare Textual app": ([sys.executable, "-c", bench.with_rss(bench.BARE_APP)], env),
            "skeleton of the reader's panes": ([sys.executable, "-c", SKELETON_APP], env),
            "reader": (reader, ready),
        }
        if args.before is not None:
            compileall.compile_dir(args.before / "src", quiet=1)
            old = bench.reader_argv(args.corpus, Path(work) / "cache-old", Path(work) / "data-old")
            old_env = {**ready, "PYTHONPATH": str(args.before / "src")}
            # Its own index (never old code on a new cache), whole too.
            bench.timed(old, {**old_env, "DIGEST_TUI_EXIT_WHEN_READY": "scanned"})
            apps["reader (before)"] = (old, old_env)
        times: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(args.runs):
            for name, (argv, app_env) in apps.items():
                times[name].append(bench.timed(argv, app_env)[0])
    bare = statistics.median(times["bare Textual app"])
    for name, samples in times.items():
        t = statistics.median(samples)
        print(f"{name:32s} {t:.3f} s  {t / bare:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
