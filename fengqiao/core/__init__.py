"""Core: workflow kernel, timeline, deadlines, audit, personal data, scoping, notifications."""
