"""The six figures of `make bench`, one module per figure (results.py holds figures 2 and 3)."""
