"""The README's "Testing your code" examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

from modelarts_async.testing import FakeModelArts

README = Path(__file__).parents[2] / "README.md"


def section_python(title: str) -> list[str]:
    text = README.read_text()
    section = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


async def test_the_respx_example_passes() -> None:
    respx_example = section_python("Testing your code")[0]
    namespace: dict[str, object] = {}
    exec(compile(respx_example, "README.md", "exec"), namespace)
    await namespace["test_my_code_with_respx"]()  # type: ignore[operator]


async def test_testing_your_code_examples_pass() -> None:
    example = section_python("Testing your code")[1]
    namespace: dict[str, object] = {}
    exec(compile(example, "README.md", "exec"), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_")]
    assert len(tests) == 2
    for test in tests:
        await test(FakeModelArts())  # type: ignore[operator]


async def test_the_datasets_example_passes(tmp_path: Path) -> None:
    example = section_python("Testing your code")[2]
    namespace: dict[str, object] = {}
    exec(compile(example, "README.md", "exec"), namespace)
    await namespace["test_my_dataset_code"](FakeModelArts(), tmp_path)  # type: ignore[operator]
