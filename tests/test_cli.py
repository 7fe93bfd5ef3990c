"""``news-search search`` as a person reads it on a terminal: the names of its options, a page past the
last one, and snippets that run over more than one paragraph."""

from __future__ import annotations

import json

import pytest

from index.cli import cli
from search.cli import render_text
from search.results import Hit, PassageHit, Results

pytestmark = pytest.mark.served


def search(runner, index_dir, *args: str):
    result = runner.invoke(cli, ["search", *args, "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_page_past_the_last_says_so_and_names_the_last(runner, index_dir):
    output = search(runner, index_dir, "missiles", "--per-page", "1", "--page", "9999")
    total = int(output.split(" ", 1)[0])
    assert total >= 2
    lines = output.splitlines()
    assert "page 9999 of" not in lines[0]
    assert lines[1] == f"no results on page 9999: the last page is {total}"
    last = search(runner, index_dir, "missiles", "--per-page", "1", "--page", str(total))
    assert f"page {total} of {total}" in last.splitlines()[0] and "no results on page" not in last


def test_per_page_is_the_option_and_the_api_name(runner, index_dir):
    body = json.loads(search(runner, index_dir, "missiles", "--per-page", "2", "--json"))
    assert body["per_page"] == 2 and len(body["results"]) == 2
    help_text = runner.invoke(cli, ["search", "--help"]).output
    assert "--per-page" in help_text and "--limit" not in help_text


def test_limit_still_works_as_the_old_name_of_per_page(runner, index_dir):
    body = json.loads(search(runner, index_dir, "missiles", "--limit", "2", "--json"))
    assert body["per_page"] == 2
    both = runner.invoke(cli, ["search", "missiles", "--limit", "2", "--per-page", "3", "--index-dir", str(index_dir)])
    assert both.exit_code == 2 and "give --per-page (or its old name, --limit) once" in both.output


def test_a_wrong_per_page_names_the_option(runner, index_dir):
    result = runner.invoke(cli, ["search", "missiles", "--per-page", "0", "--index-dir", str(index_dir)])
    assert result.exit_code == 2 and "Invalid value for '--per-page'" in result.output


def results_with_snippet(snippet: str) -> Results:
    passage = PassageHit(passage_id="a#0", position=0, start=0, end=10, snippet=snippet)
    hit = Hit(article_id="a", title="A title", url=None, source="Wire", published="2024-11-20", score=1.0,
              passages=[passage])
    return Results(query="vote", total=1, page=1, pages=1, per_page=10, sort="relevance", group="article",
                   took_ms=1.0, warnings=[], hits=[hit], facets={})


def test_a_snippet_over_two_paragraphs_keeps_its_indentation():
    text = render_text(results_with_snippet("… the <mark>vote</mark> was close.\nTurnout fell &amp; rose …"))
    assert text.splitlines()[-2:] == ["   … the **vote** was close.", "   Turnout fell & rose …"]


@pytest.mark.parametrize("snippet", ["one\r\ntwo", "one\u2028two", "one\n\ntwo"])
def test_every_line_break_of_a_snippet_is_indented(snippet):
    lines = render_text(results_with_snippet(snippet)).splitlines()[-2:]
    assert lines == ["   one", "   two"]
