"""digest-tui: a terminal reader for daily arXiv digests.

The package is split in two layers.  Everything directly under
``digest_tui`` (parsing, the library index, user state, queries, export and
link opening) is the *core* and never imports Textual.  The ``digest_tui.tui``
package presents the core in a Textual app.
"""

__version__ = "0.1.0"
