"""Every script in examples/ runs and says what it should."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


def test_there_are_examples():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, tmp_path):
    first_line = script.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith('"""'), "each example opens with what it shows"
    args = [sys.executable, str(script)]
    if "out-folder" in script.read_text(encoding="utf-8"):
        args.append(str(tmp_path / "out"))
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    # What a user reads is Italian: a decimal comma, never «91.9» (the output folder is left out: its name has digits).
    assert not re.search(r"\d\.\d", done.stdout.replace(str(tmp_path), "")), done.stdout
    if "out-folder" in script.read_text(encoding="utf-8"):
        assert list((tmp_path / "out").glob("*.xlsx"))
