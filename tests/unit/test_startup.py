"""The batch's start-up: what the fork server and a worker import, and when.

Each check runs in a fresh interpreter, since what matters is what a new process imports.
"""

from __future__ import annotations

import subprocess
import sys

from observatory_lib.runtime import worker_pool


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_fork_server_preloads_only_the_kernel_machinery():
    assert worker_pool.WORKER_PRELOAD[0] == "observatory_lib.runtime.lean_imports"
    heavy = _python(
        "import sys\n"
        f"for name in {worker_pool.WORKER_PRELOAD!r}: __import__(name)\n"
        "print(sorted(m for m in ('papermill', 'nbformat', 'nbconvert', 'weasyprint', "
        "'jsonschema') if m in sys.modules))"
    )
    assert heavy == "[]"  # a worker imports those while its kernel boots


def test_nbformat_validates_without_the_iri_grammars():
    said = _python(
        "import sys\n"
        "import observatory_lib.runtime.lean_imports\n"
        "import nbformat, nbformat.v4\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
        "nbformat.validate(nb)\n"
        "nbformat.reads(nbformat.writes(nb), as_version=4)\n"
        "print(sys.modules.get('rfc3987_syntax', 'absent'))"
    )
    assert said == "None"  # marked absent: jsonschema registered no IRI checker


def test_a_worker_warms_the_renderers_only_when_its_jobs_render():
    # the PDF engine's package: Playwright drives Chromium, else WeasyPrint
    code = (
        "import sys\n"
        "from observatory_lib.runtime.job import warm_up_worker\n"
        "from observatory_lib.runtime.render import pdf_engine\n"
        "engine = {{'chromium': 'playwright', 'weasyprint': 'weasyprint'}}[pdf_engine()]\n"
        "warm_up_worker('papermill', 'python3', {formats!r})\n"
        "print('papermill' in sys.modules, 'nbconvert' in sys.modules, engine in sys.modules)"
    )
    assert _python(code.format(formats=("ipynb", "json"))) == "True False False"
    assert _python(code.format(formats=("json", "pdf"))) == "True True True"
