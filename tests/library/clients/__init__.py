"""Tests of the three API clients against the simulator."""
