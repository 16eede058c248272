"""``python -m pexaudit`` is the ``pexaudit`` command."""

from .cli import main

main()
