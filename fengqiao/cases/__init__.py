"""cases app."""
