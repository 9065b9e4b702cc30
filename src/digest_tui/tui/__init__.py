"""The Textual reader.  It only presents the core (library, state, queries)."""
