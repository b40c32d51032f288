"""``python -m bot``: the command line (see :mod:`bot.cli`)."""

from bot.cli import main

raise SystemExit(main())
