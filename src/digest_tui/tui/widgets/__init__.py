"""The reader's widgets: the paper list, the detail pane, the header and the bars."""
