"""``python -m app`` and the frozen bundle's entry point."""

import multiprocessing
import sys

from app.cli import main

if __name__ == "__main__":
    # The photo decoder runs in a spawned worker process; in a PyInstaller bundle the worker
    # is this same executable, and freeze_support() makes it serve instead of starting the app.
    multiprocessing.freeze_support()
    sys.exit(main())
