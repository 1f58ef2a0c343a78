"""The two boundaries of the house: the engine never imports Textual; the modules the
console shares with the engine (config, events, plan, catalog, zones, explanation files)
and the report never import torch."""

import json
import subprocess
import sys

import pytest


def _modules_after(imports: list[str]) -> set[str]:
    code = "import json, sys\n" + "".join(f"import {m}\n" for m in imports)
    code += "print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_engine_never_imports_textual():
    loaded = _modules_after(["engine.cli", "engine.sweep", "engine.train", "engine.progress"])
    assert "torch" in loaded  # the check itself works
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.")}


@pytest.mark.parametrize(
    "module",
    [
        "engine.config",
        "engine.events",
        "engine.plan",
        "engine.catalog",
        "engine.zones",
        "engine.explain.artifacts",
        "engine.results",
        "engine.report",
    ],
)
def test_shared_engine_modules_stay_free_of_torch(module):
    assert "torch" not in _modules_after([module])


def test_console_never_imports_torch():
    loaded = _modules_after(
        ["fmfl_tui.app", "fmfl_tui.cli", "fmfl_tui.screens.setup", "fmfl_tui.screens.explain"]
    )
    assert "textual" in loaded  # the check itself works
    assert "torch" not in loaded
