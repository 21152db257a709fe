"""Keep the batch's worker processes from importing what they never use.

``nbformat`` (under Papermill and nbconvert) imports ``jsonschema``, whose format checkers
import ``rfc3987_syntax`` when it is installed (JupyterLab's ``jupyter_events`` pulls it in).
That package compiles about 35 Lark grammars at import time: 0.85 s of the fork server's
start-up on a 2-core machine, for the ``iri`` and ``iri-reference`` formats that no notebook
schema uses and that ``nbformat`` never checks (it validates without a format checker).
Upstream: python-jsonschema/jsonschema#1428 (lazy import asked for) and #1521 (the
unmaintained package replaced by a lazy fork, not released yet).

Importing this module marks ``rfc3987_syntax`` as absent (``sys.modules`` entry None: Python's
documented way to make an import fail) unless something already imported it; jsonschema
then simply registers no ``iri`` checker, as on an install without that optional package.
It is imported first in the batch's fork server (``worker_pool.WORKER_PRELOAD``) only: kernels,
the CLI and JupyterLab are separate processes and keep the package.
"""

from __future__ import annotations

import sys

SKIPPED_MODULES = ("rfc3987_syntax",)

for _name in SKIPPED_MODULES:
    sys.modules.setdefault(_name, None)
