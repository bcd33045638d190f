"""What `import modelarts_async` offers, and what it costs.

The checks are derived from the modules themselves (as httpx's tests/test_exported_members.py does): every public
module of the package declares `__all__`; every name in it exists, is public and is defined inside the package; and
every public attribute of the module is in it. The names themselves are pinned once, in `PUBLIC_API`, so that adding
or removing one is a deliberate change of this file (and of the CHANGELOG).
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

import modelarts_async

#: Every public name, as `module.name`. To export a name (or a new public module's names), add its line here.
PUBLIC_API = (
    "modelarts_async.APIError",
    "modelarts_async.AuthenticationError",
    "modelarts_async.BulkStats",
    "modelarts_async.ClientConfig",
    "modelarts_async.ClientStateError",
    "modelarts_async.ConfigError",
    "modelarts_async.Dataset",
    "modelarts_async.DatasetLabel",
    "modelarts_async.DatasetListing",
    "modelarts_async.DatasetStats",
    "modelarts_async.DatasetVersion",
    "modelarts_async.DetectionTag",
    "modelarts_async.ImageDownload",
    "modelarts_async.ImageDownloadError",
    "modelarts_async.ImageDownloadStream",
    "modelarts_async.ImageInfo",
    "modelarts_async.ImageResult",
    "modelarts_async.ImageResultStream",
    "modelarts_async.InvalidArgumentError",
    "modelarts_async.LabelStats",
    "modelarts_async.ListingStats",
    "modelarts_async.ModelArtsClient",
    "modelarts_async.ModelArtsError",
    "modelarts_async.NotFoundError",
    "modelarts_async.PermissionDeniedError",
    "modelarts_async.RateLimitError",
    "modelarts_async.RequestTimeoutError",
    "modelarts_async.ResponseValidationError",
    "modelarts_async.RetryPolicy",
    "modelarts_async.Sample",
    "modelarts_async.SampleLabel",
    "modelarts_async.SampleListing",
    "modelarts_async.SampleResult",
    "modelarts_async.SampleResultStream",
    "modelarts_async.ServerError",
    "modelarts_async.SyncModelArtsClient",
    "modelarts_async.SyncStream",
    "modelarts_async.TransportError",
    "modelarts_async.VersionListing",
    "modelarts_async.__version__",
    "modelarts_async.create_client",
    "modelarts_async.create_sync_client",
    #
    "modelarts_async.formats.AddResult",
    "modelarts_async.formats.CocoWriter",
    "modelarts_async.formats.ConvertSummary",
    "modelarts_async.formats.CsvWriter",
    "modelarts_async.formats.ManifestWriter",
    "modelarts_async.formats.Skip",
    "modelarts_async.formats.VocWriter",
    "modelarts_async.formats.WriteSummary",
    "modelarts_async.formats.YoloWriter",
    "modelarts_async.formats.assign_split",
    "modelarts_async.formats.convert_jsonl",
    "modelarts_async.formats.image_info_to_sample",
    "modelarts_async.formats.parse_splits",
    #
    "modelarts_async.auth.AKSKAuth",
    "modelarts_async.auth.IAMPasswordAuth",
    "modelarts_async.auth.TokenAuth",
    #
    "modelarts_async.testing.DEMO_DATASET_ID",
    "modelarts_async.testing.FAKE_ENDPOINT",
    "modelarts_async.testing.FAKE_PROJECT_ID",
    "modelarts_async.testing.FakeDataset",
    "modelarts_async.testing.FakeJob",
    "modelarts_async.testing.FakeModelArts",
    "modelarts_async.testing.FakeReply",
    "modelarts_async.testing.Faults",
    "modelarts_async.testing.ImageRequest",
    "modelarts_async.testing.RecordedRequest",
    "modelarts_async.testing.box_label",
    "modelarts_async.testing.classification_label",
    "modelarts_async.testing.generated_image_ids",
    "modelarts_async.testing.generated_sample_ids",
    "modelarts_async.testing.shape_label",
)

#: Dunder names a module may export besides its public ones.
EXPORTED_DUNDERS = {"__version__"}

#: Public modules that need no `__all__`: the pytest plugin's API is its fixture, which pytest finds by itself.
WITHOUT_ALL = {"modelarts_async.testing.pytest_plugin"}


def pinned_names() -> dict[str, set[str]]:
    """`PUBLIC_API` by module: {module name: its exported names}."""
    by_module: defaultdict[str, set[str]] = defaultdict(set)
    for qualified in PUBLIC_API:
        module_name, _, name = qualified.rpartition(".")
        by_module[module_name].add(name)
    return dict(by_module)


def is_public(module_name: str) -> bool:
    return not any(part.startswith("_") for part in module_name.split("."))


def public_modules(package: ModuleType = modelarts_async) -> list[str]:
    """The package and every module under it whose dotted name has no private part (`__main__` is a script)."""
    found = [package.__name__]
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if not is_public(info.name):
            continue
        if info.ispkg:
            found += public_modules(importlib.import_module(info.name))
        else:
            found.append(info.name)
    return sorted(found)


EXPORTING_MODULES = sorted(set(public_modules()) - WITHOUT_ALL)
MODULES = pytest.mark.parametrize("module_name", EXPORTING_MODULES)


def test_the_pinned_list_names_each_name_once() -> None:
    duplicates = sorted({name for name in PUBLIC_API if PUBLIC_API.count(name) > 1})
    assert duplicates == []


def test_every_public_module_is_pinned_and_nothing_else() -> None:
    assert sorted(pinned_names()) == EXPORTING_MODULES


@MODULES
def test_all_is_sorted_and_is_the_pinned_list(module_name: str) -> None:
    exported = importlib.import_module(module_name).__all__
    assert exported == sorted(exported)
    assert set(exported) == pinned_names()[module_name]


@MODULES
def test_every_exported_name_exists_and_is_public(module_name: str) -> None:
    module = importlib.import_module(module_name)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    private = [name for name in module.__all__ if name.startswith("_") and name not in EXPORTED_DUNDERS]
    assert (missing, private) == ([], [])


def home_of(value: object) -> str | None:
    """Where a class, function or module is defined; None for plain values (strings), which have no home."""
    if isinstance(value, ModuleType):
        return value.__name__
    if inspect.isclass(value) or inspect.isfunction(value):
        return value.__module__
    return None


@MODULES
def test_every_exported_object_is_defined_inside_the_package(module_name: str) -> None:
    module = importlib.import_module(module_name)
    homes = {name: home_of(getattr(module, name)) for name in module.__all__}
    outside = {name: home for name, home in homes.items() if home and home.partition(".")[0] != "modelarts_async"}
    assert outside == {}


@MODULES
def test_every_public_attribute_is_exported(module_name: str) -> None:
    module = importlib.import_module(module_name)
    # `dir()`, not `vars()`: names exported lazily (loaded on first access) are there before they are loaded.
    public = {name for name in dir(module) if not name.startswith("_")}
    # A subpackage becomes an attribute of its parent once anything imports it; only an exported one is API.
    public -= {name for name in public if isinstance(getattr(module, name), ModuleType)} - set(module.__all__)
    assert public == set(module.__all__) - EXPORTED_DUNDERS


@MODULES
def test_every_exported_callable_is_documented(module_name: str) -> None:
    module = importlib.import_module(module_name)
    undocumented = [
        name for name in module.__all__ if callable(getattr(module, name)) and not getattr(module, name).__doc__
    ]
    assert undocumented == []


def test_import_does_not_load_aiohttp() -> None:
    code = "import sys, modelarts_async; print('aiohttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI tests the installed wheel; a checkout may be editable")
def test_ci_tests_the_installed_package_not_the_source_tree() -> None:
    source_tree = Path(__file__).resolve().parents[1] / "modelarts_async"
    assert Path(modelarts_async.__file__).resolve().parent != source_tree


#: Modules `import modelarts_async` leaves for first use (issue 20): httpcore is needed only to see a respx mock,
#: the v2 modules only by v2 calls, the CLI only by the command, the sync client (anyio's portal) and the formats
#: only by their users.
NOT_LOADED_BY_IMPORT = [
    "aiohttp",
    "httpcore",
    "modelarts_async._cli",
    "modelarts_async._v2._calls",
    "modelarts_async._v2._converter",
    "modelarts_async._v2._models",
    "modelarts_async._sync._client",
    "anyio.from_thread",
    "modelarts_async.formats",
]


def _loaded_after(code: str) -> list[str]:
    """Which of `NOT_LOADED_BY_IMPORT` a fresh interpreter has loaded after running `code`."""
    probe = f"{code}; import sys; print(*[m for m in {NOT_LOADED_BY_IMPORT!r} if m in sys.modules])"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()


def test_import_leaves_httpcore_v2_and_the_cli_unloaded() -> None:
    assert _loaded_after("import modelarts_async") == []


def test_a_v2_name_loads_its_modules_on_first_access() -> None:
    loaded = _loaded_after("import modelarts_async; modelarts_async.Sample; modelarts_async.SampleListing")

    assert loaded == ["modelarts_async._v2._calls", "modelarts_async._v2._converter", "modelarts_async._v2._models"]


def test_lazy_names_are_the_same_objects_as_their_modules_define() -> None:
    from modelarts_async._v2 import _calls, _models

    assert modelarts_async.Sample is _models.Sample
    assert modelarts_async.SampleResultStream is _calls.SampleResultStream
    with pytest.raises(AttributeError, match="no attribute 'Sampel'"):
        modelarts_async.Sampel  # noqa: B018
