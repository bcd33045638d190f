"""What `import modelarts_async` offers, and what it costs."""

from __future__ import annotations

import subprocess
import sys

import modelarts_async


def test_every_public_name_is_importable_and_documented():
    for name in modelarts_async.__all__:
        value = getattr(modelarts_async, name)
        if name != "__version__":
            assert value.__doc__, name


def test_import_does_not_load_aiohttp():
    code = "import sys, modelarts_async; print('aiohttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
