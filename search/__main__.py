"""`python -m search` runs the same command line as `report-search`."""

from .cli import main

raise SystemExit(main())
