"""Shared fixtures: the real data mirror beside the project, and the built store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MIRROR = PROJECT_ROOT.parent / "shared" / "data"


def _mirror() -> Path | None:
    configured = os.environ.get("OBSERVATORY_MIRROR")
    path = Path(configured) if configured else DEFAULT_MIRROR
    return path.resolve() if path.is_dir() else None


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    """The real data mirror (../shared/data). Integration tests need it; CI always has it."""
    path = _mirror()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("OBSERVATORY_MIRROR is not set and ../shared/data is missing in CI")
        pytest.skip(
            "no data mirror: set OBSERVATORY_MIRROR or put ../shared/data beside the project"
        )
    return path


@pytest.fixture(scope="session")
def mirror_file(mirror_dir):
    """Return a function mapping a mirror-relative name to its path."""

    def _path(relative: str) -> Path:
        return mirror_dir / relative

    return _path


@pytest.fixture(scope="session")
def built_store(mirror_dir, tmp_path_factory):
    """Build the real store once per session from the mirror, in a temporary directory.

    Sets OBSERVATORY_STORE and OBSERVATORY_CACHE for the session so that notebooks and servers
    started by the tests (they inherit the environment) read the same store.
    """
    from observatory_lib.data.store import build_store, load_store

    root = tmp_path_factory.mktemp("observatory")
    patch = pytest.MonkeyPatch()
    patch.setenv("OBSERVATORY_MIRROR", str(mirror_dir))
    patch.setenv("OBSERVATORY_STORE", str(root / "store"))
    patch.setenv("OBSERVATORY_CACHE", str(root / "cache"))
    info = build_store()
    store = load_store()
    yield store
    patch.undo()
    del info


@pytest.fixture(scope="session")
def rendered_publications(built_store, tmp_path_factory) -> dict:
    """The published products, rendered once per session as ``make demo`` renders them.

    The real CLI in a subprocess on the session's store: the Panorama, the scoreboard report,
    the sector report for automotive and the scorecard of Stuttgart (DE11), in HTML and PDF.
    Returns ``{product: {"html": path, "pdf": path}}``.
    """
    import subprocess
    import sys

    outputs = tmp_path_factory.mktemp("publications")
    env = {**os.environ, "OBSERVATORY_OUTPUTS": str(outputs)}
    options = ["--formats", "html,pdf", "--no-progress", "--workers", "2"]
    cli = [sys.executable, "-m", "observatory_lib.cli.main"]
    for arguments in (
        ["reports", "--only", "panorama,scoreboard,sector_reports", "--categories", "automotive"],
        ["scorecards", "--regions", "DE11"],
    ):
        run = subprocess.run(
            [*cli, *arguments, *options], env=env, capture_output=True, text=True, timeout=900
        )
        assert run.returncode == 0, run.stdout + run.stderr
    places = {
        "panorama": "reports/panorama/cluster_panorama/cluster_panorama",
        "scoreboard": "reports/scoreboard/ecosystem_scoreboard/ecosystem_scoreboard",
        "sector_report": "reports/sector_reports/automotive/automotive",
        "scorecard": "scorecards/DE11/DE11",
    }
    return {
        product: {kind: outputs / f"{stem}.{kind}" for kind in ("html", "pdf")}
        for product, stem in places.items()
    }
