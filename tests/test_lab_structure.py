"""The notebooks carry what JupyterLab needs to fold hidden checks and solutions.

``book/_ext/lab_compat.py`` writes it; these tests fail when a notebook was edited without
re-running it (``python book/_ext/lab_compat.py``).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "book").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)


def _lab_compat():
    spec = importlib.util.spec_from_file_location("lab_compat",
                                                  ROOT / "book" / "_ext" / "lab_compat.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_hidden_cells_are_folded_in_jupyterlab(nb):
    lab_compat = _lab_compat()
    cells = json.loads(nb.read_text())["cells"]
    problems = []
    for i, cell in enumerate(cells):
        jup = cell.get("metadata", {}).get("jupyter", {})
        if "remove-cell" in cell.get("metadata", {}).get("tags", []):
            if not (jup.get("source_hidden") is True and jup.get("outputs_hidden") is True):
                problems.append(f"cell {i}: tagged remove-cell but not source_hidden and "
                                "outputs_hidden")
    for i in lab_compat.solution_cells(cells):
        jup = cells[i].get("metadata", {}).get("jupyter", {})
        if jup.get("source_hidden") is not True:
            problems.append(f"cell {i}: part of an exercise solution but not source_hidden")
        if cells[i]["cell_type"] == "code" and jup.get("outputs_hidden") is not True:
            problems.append(f"cell {i}: solution code cell but not outputs_hidden")
    assert not problems, (f"{nb.name} (run `python book/_ext/lab_compat.py`):\n  "
                          + "\n  ".join(problems))


def test_lab_compat_would_change_nothing():
    report = _lab_compat().run(ROOT, check=True, quiet=True)
    summary = {str(p.relative_to(ROOT)): changes[:5] for p, changes in report.items()}
    assert not report, ("notebooks not in their JupyterLab form; run "
                        f"`python book/_ext/lab_compat.py`: {json.dumps(summary, indent=1)}")
