"""python -m trainability: see trainability.cli."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
