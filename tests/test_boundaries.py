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
    return {name: tree for name, tree in modules.items()
            if name != "index.store" and not name.startswith("index.store.")}


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


def whoosh_names(tree: ast.Module) -> set[str]:
    """The names a module binds to Whoosh's modules and classes by importing them."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names
                      if alias.name.startswith("whoosh")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "whoosh":
            names |= {alias.asname or alias.name for alias in node.names}
    return names


def private_uses(tree: ast.Module) -> list[str]:
    """Where *tree* touches a private name that is not its own object's: ``x._name`` (x not self or
    cls), ``getattr(x, "_name")``, ``from whoosh… import _name``, and a ``_name`` method of a class
    built on one of Whoosh's (an override of Whoosh's private hooks)."""
    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    found, whoosh = [], whoosh_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(f"{node.lineno} .{node.attr}")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("getattr", "hasattr", "setattr"):
            if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and private(str(node.args[1].value)):
                found.append(f"{node.lineno} {node.func.id}(…, {node.args[1].value!r})")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
            found += [f"{node.lineno} import {alias.name}" for alias in node.names if private(alias.name)]
        elif isinstance(node, ast.ClassDef):
            roots = {base.id if isinstance(base, ast.Name) else getattr(base.value, "id", None)
                     for base in node.bases if isinstance(base, (ast.Name, ast.Attribute))}
            if roots & whoosh:
                found += [f"{item.lineno} {node.name}.{item.name}" for item in node.body
                          if isinstance(item, ast.FunctionDef) and private(item.name)]
    return found


def test_private_whoosh_names_are_used_only_in_the_storage_package():
    found = {name: uses for name, tree in outside_store(project_modules()).items() if (uses := private_uses(tree))}
    assert found == {}
    # ... and the check finds them where they are: in the storage package.
    store = {name: tree for name, tree in project_modules().items() if name.startswith("index.store")}
    uses = [use for tree in store.values() for use in private_uses(tree)]
    assert any(use.endswith(" MarkFormatter._text") for use in uses)
    assert any(use.endswith(" ._char_cache") for use in uses)


def test_whoosh_internals_are_imported_only_by_the_storage_package():
    found = [f"{name}: {module}" for name, tree in outside_store(project_modules()).items()
             for module in imported_names(tree) if module.startswith(WHOOSH_INTERNALS)]
    assert found == []
    # ... and the storage package does import them: the test looks where it should.
    store = {name: tree for name, tree in project_modules().items() if name.startswith("index.store")}
    assert any(module.startswith(WHOOSH_INTERNALS) for tree in store.values() for module in imported_names(tree))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of *graph* with more than one node (Tarjan's algorithm)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_modules_import_each_other_even_through_others():
    modules = project_modules()
    imports = {name: {module for module in imported_names(tree, set(modules)) if module in modules and module != name}
               for name, tree in modules.items()}
    assert imports["search.cli"] and imports["index.cli"]  # the graph is read
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]  # and cycles are found
    assert cycles(imports) == []


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
    # The formats are still named as earlier versions name them, so those read this version's indexes too.
    toc = (index_dir / "_MAIN_2.toc").read_bytes()
    assert b"index.formats" in toc and b"index.store" not in toc
    body = client.get("/api/search?q=dock AND strike&collapse=none").get_json()
    assert {hit["article_id"] for hit in body["results"]} == {"harbour-1", "harbour-2"}
    assert body["facets"]["source"] == [{"value": "Coastal Gazette", "count": 1}]


def test_the_backend_is_whoosh_unless_the_environment_names_another(monkeypatch):
    assert create_app({"INDEX": "nowhere"}).extensions["news_search"].name == "whoosh"
    monkeypatch.setenv("NEWS_SEARCH_BACKEND", "elastic")
    with pytest.raises(ValueError, match="NEWS_SEARCH_BACKEND must be one of whoosh, sphinxql; got 'elastic'"):
        create_app({"INDEX": "nowhere"})


@pytest.mark.parametrize("command", [["stats"], ["index", "corpus"], ["search", "election"]])
def test_the_command_line_names_an_unknown_backend_without_a_traceback(command, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from index.cli import cli

    monkeypatch.setenv("NEWS_SEARCH_BACKEND", "elastic")
    result = CliRunner().invoke(cli, [*command, "--index-dir", str(tmp_path / "index")])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "Error: NEWS_SEARCH_BACKEND must be one of whoosh, sphinxql; got 'elastic'" in result.output
    assert not (tmp_path / "index").exists()
