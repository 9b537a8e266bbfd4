"""The read side (DESIGN.md §1): one function or small class per screen and per
read command. Plain values in (query text, sort, actor, period), frozen view
models out. The TUI and the CLI both call it, so each figure and each table is
assembled once. It reads through ``deskui.store`` and never imports textual or rich.
"""
