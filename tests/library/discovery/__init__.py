"""Tests of kinetic_integration.discovery."""
