"""``python -m app`` and the frozen bundle's entry point."""

import sys

from app.cli import main

if __name__ == "__main__":
    # The photo decoder runs in a spawned worker process; in a PyInstaller bundle the worker
    # is this same executable, and freeze_support() makes it serve instead of starting the app.
    if getattr(sys, "frozen", False):  # a no-op elsewhere: not worth its import (start-up)
        import multiprocessing

        multiprocessing.freeze_support()
    sys.exit(main())
