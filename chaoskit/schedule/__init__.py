"""Scheduled runs and run history, in SQLite in the lab's state directory."""
