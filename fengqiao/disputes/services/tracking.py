"""Tracking by a party: the status page lives in ``disputes.tracking`` (the one throttle)."""

from ..tracking import TooManyAttempts, track, track_limits, track_locked_until  # noqa: F401
