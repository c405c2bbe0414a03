"""Blueprints of the web UI, one per area."""
