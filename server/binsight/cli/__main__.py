"""``python -m binsight.cli``: the ``binsight`` command."""

import sys

from . import main

sys.exit(main())
