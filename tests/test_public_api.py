"""What `import modelarts_async` offers, and what it costs: the exported names are pinned here, so that adding or
removing one is a deliberate change of this file (and of the CHANGELOG)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import modelarts_async

EXPORTS = {
    "modelarts_async": [
        "APIError",
        "AuthenticationError",
        "BulkStats",
        "ClientConfig",
        "ClientStateError",
        "ConfigError",
        "Dataset",
        "DatasetLabel",
        "DatasetListing",
        "DatasetStats",
        "DatasetVersion",
        "DetectionTag",
        "ImageDownload",
        "ImageDownloadError",
        "ImageDownloadStream",
        "ImageInfo",
        "ImageResult",
        "ImageResultStream",
        "InvalidArgumentError",
        "LabelStats",
        "ListingStats",
        "ModelArtsClient",
        "ModelArtsError",
        "NotFoundError",
        "PermissionDeniedError",
        "RateLimitError",
        "RequestTimeoutError",
        "ResponseValidationError",
        "RetryPolicy",
        "Sample",
        "SampleLabel",
        "SampleListing",
        "SampleResult",
        "SampleResultStream",
        "ServerError",
        "SyncModelArtsClient",
        "SyncStream",
        "TransportError",
        "VersionListing",
        "__version__",
        "create_client",
        "create_sync_client",
    ],
    "modelarts_async.auth": [
        "AKSKAuth",
        "IAMPasswordAuth",
        "TokenAuth",
    ],
    "modelarts_async.formats": [
        "AddResult",
        "CocoWriter",
        "ConvertSummary",
        "CsvWriter",
        "ManifestWriter",
        "Skip",
        "VocWriter",
        "WriteSummary",
        "YoloWriter",
        "assign_split",
        "convert_jsonl",
        "image_info_to_sample",
        "parse_splits",
    ],
    "modelarts_async.testing": [
        "DEMO_DATASET_ID",
        "FAKE_ENDPOINT",
        "FAKE_PROJECT_ID",
        "FakeDataset",
        "FakeJob",
        "FakeModelArts",
        "FakeReply",
        "Faults",
        "ImageRequest",
        "RecordedRequest",
        "box_label",
        "classification_label",
        "generated_image_ids",
        "generated_sample_ids",
        "shape_label",
    ],
}

MODULES = pytest.mark.parametrize("module_name", sorted(EXPORTS))


@MODULES
def test_all_is_the_pinned_list(module_name: str) -> None:
    assert EXPORTS[module_name] == sorted(EXPORTS[module_name])
    assert importlib.import_module(module_name).__all__ == EXPORTS[module_name]


@MODULES
def test_all_names_every_public_attribute(module_name: str) -> None:
    module = importlib.import_module(module_name)
    # Subpackages (`modelarts_async.auth`, `.testing`) become attributes once imported; they are not re-exports.
    # `dir()`, not `vars()`: names exported lazily (loaded on first access) are there before they are loaded.
    public = {name for name in dir(module) if not name.startswith("_")}
    public -= {name for name in public if isinstance(getattr(module, name), ModuleType)}
    assert public == set(module.__all__) - {"__version__"}


@MODULES
def test_every_exported_name_is_importable_and_documented(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in module.__all__:
        value = getattr(module, name)
        if callable(value):
            assert value.__doc__, f"{module_name}.{name} has no docstring"


def test_import_does_not_load_aiohttp() -> None:
    code = "import sys, modelarts_async; print('aiohttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


#: Modules `import modelarts_async` leaves for first use (issue 20): httpcore is needed only to see a respx mock,
#: the v2 modules only by v2 calls, the CLI only by the command.
NOT_LOADED_BY_IMPORT = [
    "aiohttp",
    "httpcore",
    "modelarts_async._cli",
    "modelarts_async._v2._calls",
    "modelarts_async._v2._converter",
    "modelarts_async._v2._models",
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


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI tests the installed wheel; a checkout may be editable")
def test_ci_tests_the_installed_package_not_the_source_tree() -> None:
    source_tree = Path(__file__).resolve().parents[1] / "modelarts_async"
    assert Path(modelarts_async.__file__).resolve().parent != source_tree
