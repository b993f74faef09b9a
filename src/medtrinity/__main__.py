"""``python -m medtrinity`` = the ``medtrinity`` command."""

from medtrinity.cli import main

main()
