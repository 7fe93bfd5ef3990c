"""A consistent copy of an index's newest committed generation, with a manifest of checksums."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from index.errors import NewsSearchError
from index.store.files import copy_generation, install_generation, newest_generation
from index.store.sums import digest, write_sums

MANIFEST = "manifest.json"
RETRIES = 5


def backup(index_dir: Path, dest: Path) -> dict:
    """Copy the newest committed generation of *index_dir* into *dest* and write its manifest there.

    A file that vanishes mid-copy (a writer merged segments) restarts the copy from the newer
    generation, at most :data:`RETRIES` times."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()) and not (dest / MANIFEST).exists():
        raise NewsSearchError(f"{dest} is not empty and not a previous backup; give an empty or new directory")
    dest.mkdir(parents=True, exist_ok=True)
    for _ in range(RETRIES):
        generation = newest_generation(index_dir)
        if generation < 0:
            raise NewsSearchError(f"no index in {index_dir}")
        for old in dest.iterdir():
            old.unlink()
        try:
            names = copy_generation(index_dir, dest, generation)
        except FileNotFoundError:
            continue
        manifest = {
            "generation": generation,
            "files": {name: {"size": (dest / name).stat().st_size, "sha256": digest(dest / name)} for name in names},
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "tool_version": version("news-search"),
        }
        (dest / MANIFEST).write_text(json.dumps(manifest, indent=1))
        return manifest
    raise NewsSearchError(f"the index in {index_dir} kept changing under the copy; try again")


def verify(src: Path) -> dict:
    """The manifest of the backup in *src*, once every file it names is there with its size and checksum.

    :raises NewsSearchError: naming the first file that is missing or differs."""
    try:
        manifest = json.loads((Path(src) / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise NewsSearchError(f"{src} holds no readable backup manifest ({error})") from None
    for name, entry in manifest["files"].items():
        path = Path(src) / name
        if not path.exists():
            raise NewsSearchError(f"the backup file {name} is missing from {src}")
        if path.stat().st_size != entry["size"] or digest(path) != entry["sha256"]:
            raise NewsSearchError(f"the backup file {name} in {src} does not match its checksum")
    return manifest


def restore(src: Path, index_dir: Path) -> int:
    """Verify the backup in *src* and make it the newest generation of *index_dir*; that generation."""
    manifest = verify(src)
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    generation = install_generation(src, manifest["generation"], index_dir)
    write_sums(index_dir, generation)
    return generation
