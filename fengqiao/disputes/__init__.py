"""disputes app."""
