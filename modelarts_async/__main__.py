"""`python -m modelarts_async`: the same as the `modelarts-async` command."""

import sys

from ._cli import main

sys.exit(main())
