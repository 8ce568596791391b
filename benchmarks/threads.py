"""The thread count every benchmark runs with: what a reader's machine would use.

The full run keeps torch's default (all cores), as a reader's notebook does; ``--quick``
(the test suite, on a box that other jobs keep busy) uses one, since two threads that
wait on each other at every small op made those runs several times slower; ``--threads N``
overrides both. Code that chooses its own threads (``TinyGPT.generate``) still does.
"""

from __future__ import annotations

import torch


def use_threads(threads: int | None, quick: bool) -> str:
    """Set torch's threads as above; return "N thread(s)" to print."""
    if threads is not None and (isinstance(threads, bool) or threads < 1):
        raise ValueError(f"threads must be a positive int or None, got {threads!r}")
    if threads or quick:
        torch.set_num_threads(threads or 1)
    n = torch.get_num_threads()
    return f"{n} thread{'' if n == 1 else 's'}"
