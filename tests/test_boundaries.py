"""Where the code's boundaries lie: Whoosh's internals only in the storage package, no two modules
importing each other, a web worker without the writer, and indexes of earlier versions still read."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index.articles import Article
from index.writer import update_index
from search import create_app

ROOT = Path(__file__).resolve().parent.parent
#: The storage package: the one place allowed to touch Whoosh's internals.
STORE = ROOT / "index" / "store"
#: Whoosh's modules of segment formats, codecs and writers: internals, not its public search API.
WHOOSH_INTERNALS = ("whoosh.codec", "whoosh.filedb", "whoosh.multiproc", "whoosh.writing")
#: An index written by the version before the storage package (its table of contents names
#: ``index.formats.Positions``): the seed article and one short article, ``harbour-1``.
EARLIER_INDEX = ROOT / "tests" / "fixtures" / "earlier-index"


def project_modules() -> dict[str, ast.Module]:
    """Every module of the project's code (not its tests), by dotted name, parsed."""
    modules = {}
    for path in sorted([*ROOT.glob("index/**/*.py"), *ROOT.glob("search/**/*.py"), *ROOT.glob("benchmarks/*.py"),
                        ROOT / "wsgi.py"]):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return modules


def outside_store(modules: dict[str, ast.Module]) -> dict[str, ast.Module]:
    return {name: tree for name, tree in modules.items() if name != "index.store" and not name.startswith("index.store.")}


def imported_names(tree: ast.Module, modules: set[str] = frozenset()) -> list[str]:
    """The modules *tree* imports anywhere (top level or inside functions): ``from a import b`` imports
    ``a.b`` when that is one of *modules*, else ``a``."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            names += [name for name in submodules if name in modules] or [node.module]
    return names


def test_private_whoosh_names_are_used_only_in_the_storage_package():
    private = []
    for name, tree in outside_store(project_modules()).items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                    private.append(f"{name}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("getattr", "hasattr", "setattr"):
                if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) \
                        and str(node.args[1].value).startswith("_") and not str(node.args[1].value).startswith("__"):
                    private.append(f"{name}:{node.lineno} {node.func.id}(…, {node.args[1].value!r})")
    assert private == []


def test_whoosh_internals_are_imported_only_by_the_storage_package():
    found = [f"{name}: {module}" for name, tree in outside_store(project_modules()).items()
             for module in imported_names(tree) if module.startswith(WHOOSH_INTERNALS)]
    assert found == []
    # ... and the storage package does import them: the test looks where it should.
    store = {name: tree for name, tree in project_modules().items() if name.startswith("index.store")}
    assert any(module.startswith(WHOOSH_INTERNALS) for tree in store.values() for module in imported_names(tree))


def test_no_two_modules_import_each_other():
    modules = project_modules()
    imports = {name: {module for module in imported_names(tree, set(modules)) if module in modules and module != name}
               for name, tree in modules.items()}
    assert imports["search.cli"] and imports["index.cli"]  # the graph is read
    mutual = sorted({tuple(sorted((a, b))) for a, targets in imports.items() for b in targets if a in imports[b]})
    assert mutual == []


def test_a_web_worker_loads_no_write_side_code(tmp_path: Path):
    index_dir = tmp_path / "index"
    shutil.copytree(EARLIER_INDEX, index_dir)
    script = (
        "import json, sys\n"
        "from search import create_app\n"
        f"client = create_app({{'INDEX': {str(index_dir)!r}}}).test_client()\n"
        "for url in ('/?q=harbour', '/api/search?q=ATACMS', '/articles/harbour-1?q=strike',\n"
        "            '/api/articles/harbour-1/related', '/search.atom?q=dock', '/api/health'):\n"
        "    assert client.get(url).status_code == 200, url\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True,
                                           capture_output=True, text=True).stdout))
    assert {"flask", "search.whoosh_backend", "index.store"} <= loaded
    write_side = {"bs4", "index.articles", "index.html_pages", "index.writer", "index.stories", "index.indexing",
                  "index.cli", "index.store.parallel", "index.store.postings", "index.store.tokens",
                  "index.store.columns", "whoosh.multiproc"}
    assert loaded & write_side == set()


def test_an_index_written_before_the_storage_package_opens_searches_and_takes_updates(tmp_path: Path):
    index_dir = tmp_path / "index"
    shutil.copytree(EARLIER_INDEX, index_dir)
    assert b"index.formats" in (index_dir / "_MAIN_1.toc").read_bytes()
    client = create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client()
    body = client.get("/api/search?q=dock strike").get_json()
    assert [hit["article_id"] for hit in body["results"]][0] == "harbour-1"
    assert "<mark>dock</mark> <mark>strike</mark>" in body["results"][0]["passages"][0]["snippet"]
    assert client.get("/api/articles/000_4f5c96a77bf8f4f4.txt?q=ATACMS").get_json()["passages"]
    # A run of this version adds a segment in today's formats beside the earlier one.
    update_index(index_dir, [Article(id="harbour-2", title="Dock strike ends", path="harbour-2.txt",
                                     body="Port operators and the union agreed a pay deal, ending the dock strike.")])
    body = client.get("/api/search?q=dock AND strike&collapse=none").get_json()
    assert {hit["article_id"] for hit in body["results"]} == {"harbour-1", "harbour-2"}
    assert body["facets"]["source"] == [{"value": "Coastal Gazette", "count": 1}]


def test_the_backend_is_whoosh_unless_the_environment_names_another(monkeypatch):
    assert create_app({"INDEX": "nowhere"}).extensions["news_search"].name == "whoosh"
    monkeypatch.setenv("NEWS_SEARCH_BACKEND", "elastic")
    with pytest.raises(ValueError, match="NEWS_SEARCH_BACKEND must be one of whoosh; got 'elastic'"):
        create_app({"INDEX": "nowhere"})
