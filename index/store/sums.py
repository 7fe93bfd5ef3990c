"""The SHA-256 of every file a committed generation names, written beside its table of contents at
each commit (``_MAIN_<generation>.sha256``), so that a byte changed in a committed file is found.

Whoosh keeps no checksums: a flipped byte in postings or stored text reads back as other words or
other text. A committed segment never changes, so a file's digest is computed once, when the
generation that first names it is committed, and carried over (by name and size) to later ones.

* :func:`write_sums` -- the digests of a generation's files, after its commit;
* :func:`changed_files` -- the findings of ``news-search check``: files whose bytes differ from their digest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from index.store.files import generation_names

_SUMS = re.compile(r"^_MAIN_(\d+)\.sha256$")
_BLOCK = 1 << 20


def sums_path(index_dir: str | os.PathLike, generation: int) -> Path:
    return Path(index_dir) / f"_MAIN_{generation}.sha256"


def digest(path: Path) -> str:
    """The SHA-256 of the file at *path*, hex."""
    sha = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(_BLOCK):
            sha.update(block)
    return sha.hexdigest()


def write_sums(index_dir: str | os.PathLike, generation: int) -> None:
    """Write the digests of *generation*'s files (those the previous sums hold, by name and size,
    carried over), and remove the sums of generations whose table of contents is gone."""
    index_dir = Path(index_dir)
    known: dict[str, dict] = {}
    for path in sorted(index_dir.iterdir()):
        found = _SUMS.match(path.name)
        if not found:
            continue
        if not (index_dir / f"_MAIN_{found.group(1)}.toc").exists():
            path.unlink(missing_ok=True)
            continue
        try:
            known.update(json.loads(path.read_text(encoding="utf-8"))["files"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # damaged sums carry nothing over
    names, _ = generation_names(index_dir, generation)
    files = {}
    for name in names:
        size = (index_dir / name).stat().st_size
        old = known.get(name)
        files[name] = old if old and old.get("size") == size else {"size": size, "sha256": digest(index_dir / name)}
    target = sums_path(index_dir, generation)
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_text(json.dumps({"generation": generation, "files": files}, indent=1) + "\n", encoding="utf-8")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def changed_files(index_dir: str | os.PathLike, generation: int) -> list[str] | None:
    """A finding per file of *generation* whose size or bytes differ from its digest; ``None`` when the
    generation has no sums (committed before sums were written)."""
    path = sums_path(index_dir, generation)
    if not path.exists():
        return None
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [f"{path.name}: unreadable ({error!r})"]
    findings = []
    for name, expected in sorted(files.items()):
        file = Path(index_dir) / name
        if not file.exists():
            continue  # named as missing by the table of contents' own check
        if file.stat().st_size != expected["size"]:
            findings.append(f"{name}: {file.stat().st_size} bytes, {expected['size']} when committed")
        elif digest(file) != expected["sha256"]:
            findings.append(f"{name}: its bytes changed since it was committed (SHA-256 differs)")
    return findings
