"""What the installed distribution offers resolves: the public API, the `modelarts-async` command, the pytest plugin
and `python -m modelarts_async.testing`.

Each check runs in a fresh interpreter started in an empty directory with `-P`, so that it sees only what is
installed (in CI, the built wheel: `.ci/run` installs it), never the source tree. Nothing is built here.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

DISTRIBUTION = "modelarts-async"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `args` in `cwd` and return what it printed; a non-zero exit fails the test with its stderr."""
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done


def run_python(code: str, cwd: Path) -> str:
    """Run `code` in a fresh interpreter that cannot import from `cwd` or the repository."""
    return run([sys.executable, "-P", "-c", code], cwd).stdout


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """An empty working directory: nothing in it shadows the installed package."""
    return tmp_path


def test_the_public_api_imports_from_the_installed_package(outside: Path) -> None:
    code = (
        "import importlib, importlib.metadata, pathlib\n"
        "for name in ('modelarts_async', 'modelarts_async.auth', 'modelarts_async.testing'):\n"
        "    module = importlib.import_module(name)\n"
        "    assert module.__all__ and all(hasattr(module, n) for n in module.__all__), name\n"
        "import modelarts_async\n"
        f"assert importlib.metadata.version({DISTRIBUTION!r}) == modelarts_async.__version__\n"
        "assert (pathlib.Path(modelarts_async.__file__).parent / 'py.typed').is_file()\n"
        "print(modelarts_async.__version__)\n"
    )
    assert run_python(code, outside).strip()


def test_the_console_script_entry_point_loads_a_callable(outside: Path) -> None:
    code = (
        "from importlib.metadata import entry_points\n"
        "(point,) = entry_points(group='console_scripts', name='modelarts-async')\n"
        f"assert point.dist.name == {DISTRIBUTION!r}, point.dist.name\n"
        "main = point.load()\n"
        "assert callable(main)\n"
        "print(point.value)\n"
    )
    assert run_python(code, outside).strip() == "modelarts_async._cli:main"


def test_the_modelarts_async_command_prints_its_version(outside: Path) -> None:
    version = run_python("import modelarts_async; print(modelarts_async.__version__)", outside).strip()
    command = Path(sysconfig.get_path("scripts")) / "modelarts-async"
    assert run([str(command), "--version"], outside).stdout.strip() == f"modelarts-async {version}"


def test_the_pytest_plugin_entry_point_loads_the_fixture(outside: Path) -> None:
    code = (
        "from importlib.metadata import entry_points\n"
        "(point,) = entry_points(group='pytest11', name='modelarts_async')\n"
        "plugin = point.load()\n"
        "print(plugin.__name__, hasattr(plugin, 'fake_modelarts'))\n"
    )
    assert run_python(code, outside).split() == ["modelarts_async.testing.pytest_plugin", "True"]


def test_python_m_modelarts_async_testing_help_runs(outside: Path) -> None:
    out = run([sys.executable, "-P", "-m", "modelarts_async.testing", "--help"], outside).stdout
    assert out.startswith("usage: python -m modelarts_async.testing")
    assert "serve" in out
