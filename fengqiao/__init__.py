"""Fengqiao (枫桥): grassroots governance and community policing platform."""

__version__ = "0.1.0"
