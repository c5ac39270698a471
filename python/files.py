"""Whole files written through a temporary name beside them, so that a failed or interrupted
write leaves the old file whole and no half-written one in its place."""

from pathlib import Path


def write_atomically(path, data):
    """Writes `data` (text as UTF-8, or bytes) to `path` through `.NAME.tmp` in its folder."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
