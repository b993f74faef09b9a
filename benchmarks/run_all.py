"""Run every benchmark script in this folder and print their figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

for script in sorted(Path(__file__).parent.glob("*.py")):
    if script.name == "run_all.py":
        continue
    print(f"== {script.name}", flush=True)
    subprocess.run([sys.executable, str(script)], check=False)
for script in sorted(Path(__file__).parent.glob("*/*.py")):
    if script.name.startswith("_"):
        continue
    print(f"== {script.parent.name}/{script.name}", flush=True)
    subprocess.run([sys.executable, str(script)], check=False)
