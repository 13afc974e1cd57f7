"""The wheels the Glue job ships (vendor/glue-wheels, requirements/glue-wheels.txt): each pinned one is
there, byte for byte, at the version the venv runs (requirements.lock), built for Glue 5.0's platform; nothing
else is."""

import hashlib
import re
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
WHEELS = REPO / "vendor" / "glue-wheels"


def _pins(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", path.read_text(), re.M))


def _listed() -> list[tuple[str, str, str]]:
    text = (REPO / "requirements" / "glue-wheels.txt").read_text()
    return re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) --hash=sha256:([0-9a-f]{64})$", text, re.M)


def test_every_listed_wheel_is_vendored_at_the_venvs_version_and_hash():
    listed = _listed()
    assert listed, "requirements/glue-wheels.txt pins no wheel"
    locked = _pins(REPO / "requirements.lock")
    files = sorted(WHEELS.glob("*.whl"))
    assert len(files) == len(listed), f"vendor/glue-wheels holds {[f.name for f in files]}, listed {listed}"
    for name, version, digest in listed:
        assert locked.get(name) == version, f"{name}: {version} for Glue, {locked.get(name)} in the lock"
        [wheel] = [f for f in files if f.name.startswith(f"{name.replace('-', '_')}-{version}-")]
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() == digest
        # Glue 5.0: CPython 3.11 on x86-64 Linux.
        assert re.search(r"-cp311-cp311-.*manylinux.*x86_64.*\.whl$", wheel.name), wheel.name
        with zipfile.ZipFile(wheel) as z:
            assert any(n.endswith(".dist-info/WHEEL") for n in z.namelist())
