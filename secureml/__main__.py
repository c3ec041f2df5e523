"""``python -m secureml``: the same as the ``secureml`` command."""

import sys

from secureml.cli import main

if __name__ == "__main__":
    sys.exit(main())
