"""Async client library for Kinetic-family card payment terminals."""

__version__ = "0.1.0"
