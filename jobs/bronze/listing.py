"""The landing folder as a list of files with their sizes and modification times, without reading them.

The folder is a local path or a URI the engine reads (``s3://``, ``gs://``, ``abfss://``, ``hdfs://``); it is
listed through ``pyarrow.fs``, so only names, sizes and times travel. The engine reads the new files' bytes
itself (``jobs/bronze/engine.py``): the client never does.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from pyarrow import fs

from ground.sources import SourceSpec

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CLIENT_SCHEMES = {"s3a": "s3", "s3n": "s3"}  # Hadoop's names for S3, which pyarrow calls s3


@dataclass(frozen=True)
class LandingFile:
    name: str  # relative to the landing folder, with '/' (as ops/ingested_files and quarantine name it)
    path: str  # as the engine reads it: an absolute local path or a URI
    size: int
    modified: datetime  # to the microsecond, as a Delta timestamp keeps it

    @property
    def stat(self) -> tuple[str, int, int]:
        """(name, size, modification time in microseconds since 1970): how a taken file is recognised."""
        return self.name, self.size, (self.modified - EPOCH) // timedelta(microseconds=1)


def _filesystem(landing_dir: str) -> tuple[fs.FileSystem, str, str]:
    """The filesystem, the folder in its terms, and the prefix that turns its paths back into engine paths."""
    if "://" not in landing_dir:
        root = str(Path(landing_dir).resolve())
        return fs.LocalFileSystem(), root, ""
    scheme, rest = landing_dir.split("://", 1)
    filesystem, root = fs.FileSystem.from_uri(f"{_CLIENT_SCHEMES.get(scheme, scheme)}://{rest}")
    return filesystem, root.rstrip("/"), f"{scheme}://"


def landing_exists(landing_dir: str) -> bool:
    filesystem, root, _ = _filesystem(landing_dir)
    return bool(filesystem.get_file_info(root).type == fs.FileType.Directory)


def list_files(landing_dir: str, spec: SourceSpec) -> list[LandingFile]:
    """The source's export files, in name order (daily files sort by date). The pattern matches whatever the
    case of the names (``*.csv`` takes ``DAILY.CSV`` too)."""
    pattern = re.compile(fnmatch.translate(spec.path), re.IGNORECASE)
    filesystem, root, prefix = _filesystem(landing_dir)
    if filesystem.get_file_info(root).type != fs.FileType.Directory:
        return []
    found = []
    for info in filesystem.get_file_info(fs.FileSelector(root, recursive=True)):
        if info.type != fs.FileType.File:
            continue
        name = info.path[len(root) :].lstrip("/")
        if pattern.match(name):
            modified = EPOCH + timedelta(microseconds=(info.mtime_ns or 0) // 1000)
            found.append(LandingFile(name, prefix + info.path, int(info.size or 0), modified))
    return sorted(found, key=lambda f: PurePosixPath(f.name).parts)  # the order Path sorts in
