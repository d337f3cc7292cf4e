"""Writing the landing files: bytes on disk, a sha256 per file, and row counts per source."""

from __future__ import annotations

import hashlib
from pathlib import Path

from demo_data.messy import FileOut


class LandingWriter:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.files: list[dict[str, object]] = []
        self.counts: dict[str, dict[str, int]] = {}

    def write(self, source: str, out: FileOut) -> None:
        text = "\n".join(out.lines) + "\n" if out.lines else ""
        data = text.encode("utf-8", "surrogateescape")  # bad_encoding lines carry invalid bytes on purpose
        path = self.out_dir / out.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files.append(
            {
                "path": out.path,
                "source": source,
                "rows": out.data_rows,
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
        count = self.counts.setdefault(source, {"files": 0, "rows": 0})
        count["files"] += 1
        count["rows"] += out.data_rows
