"""Vigil: prevent, prepare for, respond to and recover from targeted violence."""

__version__ = "0.1.0"
