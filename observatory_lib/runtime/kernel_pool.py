"""Admission and refilling for Voila's preheated kernels: burst capacity with nothing lost.

Voila gives every page request a kernel: a preheated one from the notebook's pool when one
is there, otherwise a new one started for the request, without limit. Two things go wrong
when many visitors arrive together on a small machine: the pool refills every used kernel at
once (``fill_delay`` after each request), so refills compete with the visitors for the cores;
and kernels beyond the pool start without a cap, until memory or patience runs out.

``ObservatoryKernelPolicy`` (configured in ``voila_config/voila.json``, sized from the memory
budget documented in docs/DEPLOY.md) and the kernel manager built by ``pooled_manager_class``
change that:

- **admission** (``admit``): a request gets a *ready* pooled kernel (one that has run its
  notebook up to the visitor's request: it waits on ``/voila/query/<id>``); else a new kernel
  if the server has fewer than ``max_kernels`` kernels and fewer than ``max_cold_starts``
  kernels starting for visitors; else the **overflow page** (a static page of the app's
  default view, prepared in advance), sent at once;
- **refilling**: used kernels are replaced one at a time (``refill_concurrency``), and only
  once no visitor has arrived for ``refill_quiet_seconds``, so that a burst is served before
  the pool competes for the cores; at start-up ``startup_concurrency`` kernels start at once;
- a pooled kernel is handed out only when it is ready (Voila would hand out one still
  starting, and the visitor would wait for its whole start).

Culling and shutdown are Voila's, unchanged. This module knows nothing of the apps: it
serves whatever notebooks the allow-list names.
"""

from __future__ import annotations

import asyncio
import collections
import os
import time

from traitlets import Float, Int
from traitlets.config import Configurable

OVERFLOW, POOL, COLD = "overflow", "pool", "cold"
MAX_FAILURES = 3  # pooled kernels of one notebook that may fail in a row before giving up


class ObservatoryKernelPolicy(Configurable):
    """How many kernels the server may hold, and how its pools refill (see the module doc)."""

    memory_budget_mib = Int(
        8192, config=True, help="Memory the apps may use in all (server, pools, visitors), MiB."
    )
    kernel_mib = Int(150, config=True, help="Budget per kernel (measured RSS plus margin), MiB.")
    server_mib = Int(300, config=True, help="Budget of the server process itself, MiB.")
    max_kernels = Int(
        0, config=True, help="Cap on the server's kernels (0: from the memory budget)."
    )
    max_cold_starts = Int(
        2, config=True, help="Kernels starting at once for visitors when no pooled one is ready."
    )
    refill_quiet_seconds = Float(
        3.0, config=True, help="Seconds without a new visitor before a used kernel is replaced."
    )
    refill_concurrency = Int(1, config=True, help="Kernels refilled at the same time.")
    startup_concurrency = Int(2, config=True, help="Kernels started at once to fill the pools.")
    ready_timeout = Float(120.0, config=True, help="Seconds a pooled kernel may take to be ready.")

    def kernel_cap(self) -> int:
        """The cap: ``max_kernels``, or what the memory budget holds."""
        if self.max_kernels > 0:
            return int(self.max_kernels)
        return max(1, (self.memory_budget_mib - self.server_mib) // max(1, self.kernel_mib))


def pooled_manager_class(base: type) -> type:
    """Voila's pooled kernel manager class ``base`` with the observatory's admission and refill."""
    return type("ObservatoryKernelManager", (PoolAdmission, base), {})


def _waiting_kernels() -> dict:
    """The pooled kernels waiting for a request (connected to ``/voila/query/<id>``)."""
    from voila.request_info_handler import RequestInfoSocketHandler

    return RequestInfoSocketHandler._waiters


class PoolAdmission:
    """Mixed into Voila's pooled kernel manager (see the module docstring)."""

    def __init__(self, **kwargs):
        self.policy = ObservatoryKernelPolicy(parent=kwargs.get("parent"))
        self._queue: collections.deque = collections.deque()
        self._workers = 0
        self._last_request = 0.0
        self._served_any = False
        self._cold_starts = 0
        self._tasks: set = set()
        self._failures: dict[str, int] = {}
        super().__init__(**kwargs)

    # -- readiness and admission

    def _is_ready(self, task) -> bool:
        if not task.done() or task.cancelled() or task.exception() is not None:
            return False
        return task.result()["kernel_id"] in _waiting_kernels()

    def get_pool_size(self, notebook_name: str) -> int:
        """Pooled kernels ready for a visitor (Voila counts those still starting too)."""
        return sum(self._is_ready(task) for task in self._pools.get(notebook_name, []))

    def admit(self, notebook_name: str) -> str:
        """``pool``, ``cold`` (start a kernel for this visitor) or ``overflow``."""
        self._last_request = time.monotonic()
        self._served_any = True
        if self.get_pool_size(notebook_name):
            return POOL
        if (
            len(self.list_kernel_ids()) < self.policy.kernel_cap()
            and self._cold_starts < self.policy.max_cold_starts
        ):
            return COLD
        return OVERFLOW

    def cold_start(self, delta: int) -> None:
        """Count a kernel starting for a visitor (+1) or finished starting (-1)."""
        self._cold_starts = max(0, self._cold_starts + delta)

    async def get_rendered_notebook(self, notebook_name, extra_kernel_env_variables=None, **kw):
        """Hand out a ready pooled kernel; queue its replacement."""
        pool = self._pools.get(notebook_name, [])
        ready = [task for task in pool if self._is_ready(task)]
        if not ready:
            raise RuntimeError(f"No ready kernel in the pool of {notebook_name}")
        task = ready[0]
        pool.remove(task)
        content = task.result()
        content["renderer"].stop_generator = True
        self.log.info("Using pre-heated kernel: %s for %s", content["kernel_id"], notebook_name)
        self._last_request = time.monotonic()
        self.fill_if_needed(notebook_name=notebook_name)
        return content["task"], content["renderer"].rendered_cache, content["kernel_id"]

    # -- refilling, one kernel at a time

    def fill_if_needed(
        self, delay=None, notebook_name=None, extra_kernel_env_variables=None, **kwargs
    ):
        """Queue the kernels the notebook's pool lacks (Voila would start them all now)."""
        if notebook_name is None:
            return
        size = self._pool_target(notebook_name)
        pool = self._pools.setdefault(notebook_name, [])
        queued = sum(1 for name, _ in self._queue if name == notebook_name)
        for _ in range(size - len(pool) - queued):
            self._queue.append((notebook_name, dict(kwargs)))
        self._start_workers()

    def _pool_target(self, notebook_name: str) -> int:
        default = self.kernel_pools_config.get("default", {})
        config = self.kernel_pools_config.get(notebook_name, default)
        return int(config.get("pool_size", default.get("pool_size", 1)))

    def _start_workers(self) -> None:
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
        while self._queue and self._workers < self._allowed_workers():
            self._workers += 1
            worker = loop.create_task(self._refill_worker())
            self._tasks.add(worker)  # keep a reference until it is done
            worker.add_done_callback(self._tasks.discard)

    def _allowed_workers(self) -> int:
        policy = self.policy
        return policy.refill_concurrency if self._served_any else policy.startup_concurrency

    async def _refill_worker(self) -> None:
        try:
            while self._queue:
                if self._workers > self._allowed_workers():
                    return
                await self._wait_for_quiet()
                if not self._queue:
                    return
                notebook_name, kwargs = self._queue.popleft()
                task = self._start_pooled_kernel(notebook_name, kwargs)
                self._pools.setdefault(notebook_name, []).append(task)
                if not await self._wait_until_ready(task):
                    self._give_up(notebook_name, task, kwargs)
                    continue
                self._failures[notebook_name] = 0
                if self.get_pool_size(notebook_name) == self._pool_target(notebook_name):
                    self.log.info(
                        "Kernel pool of %s is filled with %s kernel(s)",
                        notebook_name,
                        self._pool_target(notebook_name),
                    )
        finally:
            self._workers -= 1

    async def _wait_for_quiet(self) -> None:
        quiet = self.policy.refill_quiet_seconds
        while self._served_any and time.monotonic() - self._last_request < quiet:
            await asyncio.sleep(0.25)

    async def _wait_until_ready(self, task) -> bool:
        """Whether the kernel became ready within ``ready_timeout`` (False: it failed)."""
        deadline = time.monotonic() + self.policy.ready_timeout
        while time.monotonic() < deadline:
            if self._is_ready(task):
                return True
            if task.done() and (task.cancelled() or task.exception() is not None):
                return False
            await asyncio.sleep(0.1)
        return False

    def _give_up(self, notebook_name: str, task, kwargs: dict) -> None:
        """Drop a pooled kernel that failed or never became ready; start another (3 tries)."""
        failed = task.done() and (task.cancelled() or task.exception() is not None)
        self.log.warning(
            "A pooled kernel of %s %s; replacing it",
            notebook_name,
            f"failed to start ({task.exception()})" if failed else "was not ready in time",
        )
        pool = self._pools.get(notebook_name, [])
        if task in pool:
            pool.remove(task)
        if not failed:  # started but stuck: stop it
            kernel_id = task.result()["kernel_id"]
            stopping = asyncio.ensure_future(self.shutdown_kernel(kernel_id, now=True))
            self._tasks.add(stopping)
            stopping.add_done_callback(self._tasks.discard)
        self._failures[notebook_name] = self._failures.get(notebook_name, 0) + 1
        if self._failures[notebook_name] <= MAX_FAILURES:
            self._queue.append((notebook_name, kwargs))

    def _start_pooled_kernel(self, notebook_name: str, kwargs: dict):
        """Start one kernel that runs the notebook up to the visitor's request (as Voila)."""
        from voila.utils import ENV_VARIABLE
        from voila.voila_kernel_manager import wait_before

        default = self.kernel_pools_config.get("default", {})
        config = self.kernel_pools_config.get(notebook_name, default)
        variables = config.get("kernel_env_variables", default.get("kernel_env_variables", {}))
        kwargs = dict(kwargs)
        kwargs.setdefault("path", os.path.dirname(notebook_name))  # noqa: PTH120 - as Voila
        env = {**os.environ, **kwargs.get("env", {})}
        for key, value in variables.items():
            env.setdefault(key, value)
        env[ENV_VARIABLE.VOILA_BASE_URL] = self.parent.base_url
        env[ENV_VARIABLE.VOILA_SERVER_URL] = self.parent.server_url
        env[ENV_VARIABLE.VOILA_APP_PORT] = str(self.parent.port)
        env[ENV_VARIABLE.VOILA_PREHEAT] = "True"
        kwargs["env"] = env
        loop = asyncio.get_event_loop()
        return loop.create_task(wait_before(0, self._initialize(notebook_name, None, **kwargs)))

    def pool_status(self) -> dict:
        """Per notebook: ready kernels, kernels starting, queued refills (for logs and tests)."""
        status = {}
        for name, pool in self._pools.items():
            ready = sum(self._is_ready(task) for task in pool)
            queued = sum(1 for queued_name, _ in self._queue if queued_name == name)
            status[name] = {"ready": ready, "starting": len(pool) - ready, "queued": queued}
        return status
