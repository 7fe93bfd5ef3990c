"""Which files a committed generation names, and copying them.

Whoosh never changes a committed segment: a generation is its table of contents plus the segment
files it names, so copying those files, the table of contents last, copies the generation whole.
"""

from __future__ import annotations

import filecmp
import os
import shutil
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import _DEF_INDEX_NAME, TOC

from index.errors import IndexBusy


def newest_generation(index_dir: str | os.PathLike) -> int:
    """The newest committed generation in *index_dir* (-1 when there is none)."""
    return TOC._latest_generation(FileStorage(str(index_dir)), _DEF_INDEX_NAME)


def generation_names(index_dir: str | os.PathLike, generation: int) -> tuple[list[str], str]:
    """The segment files *generation* reads, and the name of its table of contents."""
    storage = FileStorage(str(index_dir))
    toc = TOC.read(storage, _DEF_INDEX_NAME, generation)
    present = os.listdir(index_dir)
    names: set[str] = set()
    for segment in toc.segments:
        if segment.is_compound():
            names.add(segment.make_filename(segment.COMPOUND_EXT))
        else:
            names.update(name for name in present if name.startswith(f"{segment.segment_id()}."))
    return sorted(names), TOC._filename(_DEF_INDEX_NAME, generation)


def copy_generation(index_dir: str | os.PathLike, dest: str | os.PathLike, generation: int) -> list[str]:
    """Copy *generation*'s files into *dest*, its table of contents last; the names copied.

    Raises :class:`FileNotFoundError` when a file vanished (a writer merged segments meanwhile)."""
    segments, toc = generation_names(index_dir, generation)
    for name in [*segments, toc]:
        shutil.copyfile(Path(index_dir) / name, Path(dest) / name)
    return [*segments, toc]


def install_generation(src: str | os.PathLike, generation: int, index_dir: str | os.PathLike) -> int:
    """Make *src*'s *generation* the newest generation of *index_dir*, holding the index's write lock;
    the generation number it was given.

    Its segment files are copied in under their own names (a committed segment never changes, so a
    file of that name already there is the same file, unless damage changed it: then it is replaced
    by a rename, which leaves a process reading the damaged one its copy), then its table of contents
    is written under the next generation number through a temporary file and a rename, so a reader
    sees it whole or not at all and moves to it as to any new commit.

    :raises IndexBusy: when an indexer holds the write lock.
    """
    target = FileStorage(str(index_dir))
    lock = target.lock(f"{_DEF_INDEX_NAME}_WRITELOCK")
    if not lock.acquire(blocking=False):
        raise IndexBusy(f"another indexer is writing to {index_dir}; try again when it has finished")
    try:
        toc = TOC.read(FileStorage(str(src)), _DEF_INDEX_NAME, generation)
        segments, _ = generation_names(src, generation)
        for name in segments:
            present = Path(index_dir) / name
            # A segment never changes, so one of the same name is the same file -- unless it is damaged.
            if not present.exists() or not filecmp.cmp(Path(src) / name, present, shallow=False):
                partial = Path(index_dir) / f"{name}.restoring"
                shutil.copyfile(Path(src) / name, partial)
                os.replace(partial, Path(index_dir) / name)
        toc.generation = max(newest_generation(index_dir), generation) + 1
        toc.write(target, _DEF_INDEX_NAME)
        return toc.generation
    finally:
        lock.release()
