"""The layer and independence contracts of the style guide (section 3), via import-linter.

Contracts live in ``pyproject.toml`` (``[tool.importlinter]``): theory and measurement never
import each other, core modules never import matplotlib, the theory packages are independent,
and the layers go CLI > report/plots > sweeps > experiment > io/verify > theory/measurement.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    exe = Path(sys.executable).with_name("lint-imports")
    res = subprocess.run(
        [str(exe), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "BROKEN" not in res.stdout
    assert res.stdout.count("KEPT") == 5
