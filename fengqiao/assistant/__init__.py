"""Resident assistant: standard answers, law retrieval, hand-off, message screening."""
