"""Receipts' files are private to the user running it: the archive, tokens and logs are 0600 in 0700 dirs.

:func:`private_process` sets the umask once, early (the CLI entry point and the crawl worker), so every
file Receipts — or a library it drives (SQLite under nx-27017, Scrapy, WARC writers) — creates is
owner-only. :func:`private_dir` creates a directory 0700 and tightens one that is group/world-open.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077

log = logging.getLogger(__name__)


def private_process() -> None:
    """Make files created by this process (and its children) owner-only."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """``mkdir -p`` with mode 0700; an existing directory open to group/others is set to 0700."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, 0o700)
            log.info("tightened permissions of %s to 0700", path)
    except OSError as exc:  # not ours (e.g. a mounted volume): leave it, say so
        log.warning("cannot make %s private: %s", path, exc)
    return path
