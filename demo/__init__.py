"""The one-command demo: a simulated terminal fleet and a real Home Assistant on loopback.

``scripts/develop`` runs ``python -m demo``. The end-to-end browser test starts the same
pieces through :func:`demo.runner.run_demo`. Development tooling only: nothing here is
part of the library or the integration.
"""
