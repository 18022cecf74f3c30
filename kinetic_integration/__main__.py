"""``python -m kinetic_integration``: the ``kinetic`` command."""

from .cli import main

if __name__ == "__main__":
    main()
