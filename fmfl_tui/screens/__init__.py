"""The console's screens: setup, live and zones, one per module."""
