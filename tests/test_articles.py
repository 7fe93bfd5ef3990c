"""Reading article files: every format, every field, and every kind of bad input."""

from __future__ import annotations

import gzip
import json
import os
import re
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest

from index.articles import (
    MAX_ARTICLE_BYTES,
    Article,
    Skipped,
    find_article_files,
    parse_date,
    read_articles,
    read_file,
    read_files,
    read_html,
)
from tests.data_paths import require_data

HARBOUR_TXT = """\
Title: Harbour ferry returns after winter repairs
Published: 2024-03-04
Source: Coastal Courier
URL: https://courier.example/2024/03/ferry-returns
Author: Mara Lindqvist
Section: Local

The harbour ferry carried its first passengers in four months on Monday morning.
Engineers replaced both propeller shafts and the wheelhouse windows during the winter.
“It feels like spring has started,” said Ines Moreau, who rides it to work every day.
"""

LIBRARY_PAGE = """\
<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Library opens late on weekdays | Valley Times</title>
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "name": "Valley Times", "url": "https://valley.example/"},
  {"@type": "NewsArticle", "headline": "Library opens late on weekdays",
   "datePublished": "2024-05-02T08:15:00+02:00",
   "author": [{"@type": "Person", "name": "Tomas Berg"}, {"@type": "Person", "name": "Aiko Sato"}],
   "publisher": {"@type": "Organization", "name": "Valley Times"},
   "articleSection": "Culture",
   "url": "https://valley.example/news/library-late-hours"}
]}
</script>
</head><body>
<nav class="site-nav"><ul><li><a href="/">Home</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<div id="cookie-banner">We use cookies to improve your reading experience. Accept all cookies?</div>
<article>
  <h1>Library opens late on weekdays</h1>
  <p>The central library will stay open until nine in the evening from Monday to Thursday.</p>
  <p>The council said the longer hours follow a survey in which most readers asked for evenings.</p>
  <h2>Study rooms</h2>
  <p>Students can book the three study rooms <a href="/rooms">online</a> up to a week ahead.</p>
  <div class="share-buttons"><a href="#">Share on social media</a></div>
  <script>var trackingPixel = "do not index this script text";</script>
</article>
<aside class="related-stories"><h3>Related stories</h3>
  <ul><li><a href="/a">Museum roof repaired</a></li><li><a href="/b">New bus timetable</a></li></ul></aside>
<section id="comments"><p>Reader comment: about time too, the old hours were useless.</p></section>
<footer><p>Copyright Valley Times, all rights reserved.</p></footer>
</body></html>
"""

MARKET_PAGE = """\
<html><head>
<title>Market hall - Riverside News</title>
<meta property="og:title" content="Weekend market moves into the old tram hall">
<meta property="og:site_name" content="Riverside News">
<meta property="og:url" content="https://riverside.example/market-hall">
<meta property="article:published_time" content="2024-06-08T06:00:00Z">
<meta property="article:section" content="City">
<meta name="author" content="By Lena Okafor">
</head><body>
<div class="content"><p>The weekend market will move into the old tram hall in July, the city said.</p>
<p>Stallholders welcomed the roof over their heads after two wet summers in the square.</p></div>
</body></html>
"""

ORCHARD_PAGE = """\
<html><head><title>Orchard saved by volunteers</title></head><body>
<header><a href="/">The Hill Gazette</a></header>
<article>
<h1>Orchard saved by volunteers</h1>
<time datetime="2024-09-21">21 September 2024</time>
<p>Volunteers planted forty young apple trees to replace those lost in the spring storm.</p>
<p>The orchard, first planted in 1912, will be open to visitors again next autumn.</p>
</article>
</body></html>
"""


def write(path: Path, content: str | bytes) -> Path:
    """Write *content* (text as UTF-8) to *path*, making its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def write_gz(path: Path, content: str | bytes) -> Path:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return write(path, gzip.compress(data))


def read_all(*paths: Path | str) -> tuple[list[Article], list[Skipped]]:
    """Read *paths*, split into the articles and the skipped files."""
    items = list(read_articles(paths))
    assert all(isinstance(item, (Article, Skipped)) for item in items)
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Skipped)]


def read_one(path: Path) -> Article:
    articles, skipped = read_all(path)
    assert skipped == [] and len(articles) == 1, skipped
    return articles[0]


def reasons(skipped: list[Skipped]) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in skipped}


# --- .txt -----------------------------------------------------------------------------------------


def test_txt_with_header(tmp_path):
    path = write(tmp_path / "ferry.txt", HARBOUR_TXT)
    assert read_one(path) == Article(
        id="https://courier.example/2024/03/ferry-returns",
        title="Harbour ferry returns after winter repairs",
        body=(
            "The harbour ferry carried its first passengers in four months on Monday morning.\n"
            "Engineers replaced both propeller shafts and the wheelhouse windows during the winter.\n"
            "“It feels like spring has started,” said Ines Moreau, who rides it to work every day."
        ),
        path=str(path),
        published="2024-03-04",
        source="Coastal Courier",
        url="https://courier.example/2024/03/ferry-returns",
        author="Mara Lindqvist",
        section="Local",
        line=None,
    )


def test_txt_header_keys_are_case_insensitive_and_id_wins(tmp_path):
    text = (
        "ID: courier-1187\ntitle: Bridge closed\nDATE: 17 Nov 2024\nurl: https://x.example/b\n"
        "\nThe bridge is shut.\n"
    )
    article = read_one(write(tmp_path / "bridge.txt", text))
    assert (article.id, article.title, article.published) == ("courier-1187", "Bridge closed", "2024-11-17")
    assert article.body == "The bridge is shut."


def test_txt_headline_blank_line_paragraphs(tmp_path):
    text = "Snow closes mountain pass\n\nThe pass closed at noon after heavy snow.\n\nPloughs start at dawn."
    article = read_one(write(tmp_path / "pass.txt", text))
    assert article.title == "Snow closes mountain pass"
    assert article.body == "The pass closed at noon after heavy snow.\nPloughs start at dawn."
    assert article.id == "pass.txt" and article.published is None


def test_txt_without_header_or_headline_keeps_first_line_in_body(tmp_path):
    text = "The pass closed at noon after heavy snow.\nPloughs will start at dawn.\n"
    article = read_one(write(tmp_path / "pass.txt", text))
    assert article.title == "The pass closed at noon after heavy snow."
    assert article.body == "The pass closed at noon after heavy snow.\nPloughs will start at dawn."


def test_txt_unknown_key_means_no_header(tmp_path):
    text = "Note: the pass is closed\nTitle: Not a header\n\nPloughs will start at dawn.\n"
    article = read_one(write(tmp_path / "note.txt", text))
    assert article.title == "Note: the pass is closed"
    assert article.body.startswith("Note: the pass is closed\nTitle: Not a header\n")


def test_txt_header_without_title_takes_first_body_line(tmp_path):
    text = "Published: 2024-01-02\n\nTram fares rise in March.\n\nSingle tickets will cost more.\n"
    article = read_one(write(tmp_path / "fares.txt", text))
    assert article.title == "Tram fares rise in March."
    assert article.body == "Tram fares rise in March.\nSingle tickets will cost more."


def test_long_first_line_makes_a_shortened_title(tmp_path):
    first = "The council met " + "for a very long time " * 20 + "and decided nothing."
    article = read_one(write(tmp_path / "long.txt", first + "\n\nSecond paragraph.\n"))
    assert len(article.title) <= 201 and article.title.endswith("…")
    assert article.body.startswith("The council met")


def test_text_is_normalised(tmp_path):
    decomposed = "Cafe\u0301 Zo\u00eb reopens"
    body = "“Welcome back” – says Łukasz\u0007.   \r\n\r\n\r\n\tSecond\x01 line\r"
    text = f"Title:  {decomposed}  \r\n\r\n{body}"
    article = read_one(write(tmp_path / "cafe.txt", text))
    assert article.title == "Café Zoë reopens"
    assert article.title.encode() == "Caf\u00e9 Zo\u00eb reopens".encode()
    assert article.body == "“Welcome back” – says Łukasz.\n\tSecond line"


def test_escaped_control_characters_in_json_are_removed(tmp_path):
    record = {"title": "Nul\u0000l", "body": "A\u0000B\u001bC\n\nD"}
    article = read_one(write(tmp_path / "c.jsonl", jsonl(record)))
    assert (article.title, article.body) == ("Null", "ABC\nD")


# --- .jsonl ---------------------------------------------------------------------------------------


def jsonl(*records: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def test_jsonl_fields_and_ids(tmp_path):
    path = write(
        tmp_path / "feed" / "wire.jsonl",
        jsonl(
            {"id": "w-1", "title": "Port strike ends", "body": "Dockers return to work.",
             "date": "Nov. 17, 2024", "source": "Wire", "author": ["A. Ngata", "B. Rossi"],
             "section": "Business"},
            {"title": "Rail line reopens", "text": "Trains run again.", "url": "https://wire.example/rail"},
            {"title": "Rain warning", "body": "Heavy rain is expected.", "published": "2024-11-18T06:00:00Z"},
        ),
    )
    first, second, third = read_articles([tmp_path])
    assert first == Article(
        id="w-1", title="Port strike ends", body="Dockers return to work.", path=str(path),
        published="2024-11-17", source="Wire", author="A. Ngata, B. Rossi", section="Business", line=1,
    )
    assert (second.id, second.url, second.body, second.line) == (
        "https://wire.example/rail", "https://wire.example/rail", "Trains run again.", 2,
    )
    assert (third.id, third.published, third.line) == ("feed/wire.jsonl#3", "2024-11-18T06:00:00+00:00", 3)


def test_jsonl_text_starting_with_its_headline(tmp_path):
    records = [
        {"category": "tech", "text": "Robot mows the village green\n\nA solar robot now cuts the grass.\n"},
        {"text": "No headline layout here.\nJust two lines."},
    ]
    first, second = read_articles([write(tmp_path / "tech.jsonl", jsonl(*records))])
    assert (first.title, first.body) == ("Robot mows the village green", "A solar robot now cuts the grass.")
    assert second.title == "No headline layout here."
    assert second.body == "No headline layout here.\nJust two lines."


def test_jsonl_bad_lines_are_skipped_and_good_ones_kept(tmp_path):
    path = write(
        tmp_path / "mixed.jsonl",
        jsonl(
            {"title": "One", "body": "First good article."},
            '{"title": "Broken", "body": "no closing brace"',
            "",
            '["a list", "not an object"]',
            {"title": "No body here"},
            {"title": "Empty body", "body": "   "},
            {"title": "Two", "text": "Second good article."},
        ),
    )
    items = list(read_articles([path]))
    assert [a.title for a in items if isinstance(a, Article)] == ["One", "Two"]
    skipped = {s.path: s.reason for s in items if isinstance(s, Skipped)}
    assert list(skipped) == [f"{path}:2", f"{path}:4", f"{path}:5", f"{path}:6"]
    assert skipped[f"{path}:2"].startswith("invalid JSON")
    assert skipped[f"{path}:4"] == "not a JSON object but list"
    assert skipped[f"{path}:5"] == "no 'body' or 'text' field"
    assert skipped[f"{path}:6"] == "no body text"


# --- .html ----------------------------------------------------------------------------------------


def test_html_with_json_ld(tmp_path):
    path = write(tmp_path / "library.html", LIBRARY_PAGE)
    assert read_one(path) == Article(
        id="https://valley.example/news/library-late-hours",
        title="Library opens late on weekdays",
        body=(
            "The central library will stay open until nine in the evening from Monday to Thursday.\n"
            "The council said the longer hours follow a survey in which most readers asked for evenings.\n"
            "Study rooms\n"
            "Students can book the three study rooms online up to a week ahead."
        ),
        path=str(path),
        published="2024-05-02T08:15:00+02:00",
        source="Valley Times",
        url="https://valley.example/news/library-late-hours",
        author="Tomas Berg, Aiko Sato",
        section="Culture",
    )


def test_html_boilerplate_is_left_out(tmp_path):
    body = read_one(write(tmp_path / "library.html", LIBRARY_PAGE)).body
    for text in ("Home", "cookies", "Share on", "trackingPixel", "index this script", "Related stories",
                 "Museum roof", "Reader comment", "Copyright"):
        assert text not in body


def test_html_with_open_graph_and_meta_only(tmp_path):
    article = read_one(write(tmp_path / "market.htm", MARKET_PAGE))
    assert article == Article(
        id="https://riverside.example/market-hall",
        title="Weekend market moves into the old tram hall",
        body=(
            "The weekend market will move into the old tram hall in July, the city said.\n"
            "Stallholders welcomed the roof over their heads after two wet summers in the square."
        ),
        path=str(tmp_path / "market.htm"),
        published="2024-06-08T06:00:00+00:00",
        source="Riverside News",
        url="https://riverside.example/market-hall",
        author="Lena Okafor",
        section="City",
    )


def test_html_with_only_an_article_element(tmp_path):
    article = read_one(write(tmp_path / "news" / "orchard.html", ORCHARD_PAGE))
    assert (article.id, article.title, article.published, article.url) == (
        "orchard.html", "Orchard saved by volunteers", "2024-09-21", None,
    )
    assert article.body == (
        "Volunteers planted forty young apple trees to replace those lost in the spring storm.\n"
        "The orchard, first planted in 1912, will be open to visitors again next autumn."
    )


def test_html_long_json_ld_body_stands_in_when_the_page_has_little(tmp_path):
    story = " ".join(f"Sentence {n} of the full story as the publisher gave it." for n in range(40))
    ld = {"@type": ["NewsArticle"], "headline": "Full story", "articleBody": story}
    script = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    page = f"{script}<article><p>Teaser only.</p></article>"
    assert read_html(page, "story.html").body == story


def test_read_html_takes_an_explicit_id_and_raises_without_text():
    assert read_html(ORCHARD_PAGE, "orchard.html", article_id="gazette-77").id == "gazette-77"
    assert read_html(ORCHARD_PAGE.encode(), "orchard.html").id == "orchard.html"
    with pytest.raises(ValueError, match="no article text found"):
        read_html("<html><head><title>Empty</title></head><body><nav>Menu</nav></body></html>", "e.html")


def test_truncated_html_yields_the_text_there_is(tmp_path):
    cut = ORCHARD_PAGE[: ORCHARD_PAGE.index("will be open")]
    article = read_one(write(tmp_path / "cut.html", cut))
    assert article.title == "Orchard saved by volunteers"
    assert article.body.startswith("Volunteers planted forty young apple trees")
    assert article.body.endswith("The orchard, first planted in 1912,")


def test_malformed_html_still_reads(tmp_path):
    page = "<html><body><div><p>Unclosed paragraph about the ferry<p>And another <b>bold <i>claim</div></x>"
    article = read_one(write(tmp_path / "bad.html", page))
    assert article.body == "Unclosed paragraph about the ferry\nAnd another bold claim"


# --- gzip -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content",
    [
        ("ferry.txt", HARBOUR_TXT),
        ("library.html", LIBRARY_PAGE),
        ("market.htm", MARKET_PAGE),
        ("wire.jsonl", jsonl({"id": "w-9", "title": "Gale", "body": "Winds reach 90 km/h."})),
    ],
)
def test_gzip_files_read_like_plain_ones(tmp_path, name, content):
    plain = list(read_articles([write(tmp_path / "plain" / name, content)]))
    packed = list(read_articles([write_gz(tmp_path / "packed" / f"{name}.gz", content)]))
    assert len(plain) == len(packed) == 1 and isinstance(packed[0], Article)
    assert packed[0].content_hash == plain[0].content_hash
    assert packed[0].path == str(tmp_path / "packed" / f"{name}.gz")


def test_gzip_file_without_url_gets_its_relative_path_as_id(tmp_path):
    write_gz(tmp_path / "2024" / "orchard.html.gz", ORCHARD_PAGE)
    (article,) = read_articles([tmp_path])
    assert article.id == "2024/orchard.html.gz"


def test_corrupt_gzip(tmp_path):
    fake = write(tmp_path / "fake.txt.gz", "not compressed at all")
    items = ({"body": f"Item {n} of the wire feed, {n * 7919 % 10007}."} for n in range(5000))
    feed = gzip.compress(jsonl(*items).encode())
    cut = write(tmp_path / "cut.jsonl.gz", feed[: len(feed) // 2])
    assert reasons(read_all(fake)[1])["fake.txt.gz"].startswith("corrupt gzip: ")
    articles, skipped = read_all(cut)
    assert articles and reasons(skipped)["cut.jsonl.gz"].startswith("corrupt gzip: ")


# --- ids and duplicates ---------------------------------------------------------------------------


def test_ids_are_relative_to_the_folder_given(tmp_path):
    write(tmp_path / "corpus" / "2024" / "03" / "pass.txt", "Snow closes pass\n\nThe pass is closed.\n")
    write(tmp_path / "corpus" / "ferry.txt", HARBOUR_TXT)
    articles, _ = read_all(tmp_path / "corpus")
    assert [a.id for a in articles] == ["https://courier.example/2024/03/ferry-returns", "2024/03/pass.txt"]
    assert [a.id for a in read_all(tmp_path / "corpus" / "2024" / "03" / "pass.txt")[0]] == ["pass.txt"]


def test_only_web_urls_are_kept_and_others_fall_back_to_the_path(tmp_path):
    write(tmp_path / "news" / "alert.txt", "Title: Alert\nURL: javascript:alert(1)\n\nA story with a bad link.\n")
    write(tmp_path / "news" / "feed.jsonl", jsonl(
        {"title": "Data link", "body": "A story with a data link.", "url": "data:text/html,x"},
        {"title": "Bare host", "body": "A story without a scheme.", "url": "//wire.example/rail"},
        {"title": "Good link", "body": "A story with a web link.", "url": "HTTPS://wire.example/ok"},
    ))
    articles, skipped = read_all(tmp_path / "news")
    assert skipped == []
    assert [(a.id, a.url) for a in articles] == [
        ("alert.txt", None),
        ("feed.jsonl#1", None),
        ("feed.jsonl#2", None),
        ("HTTPS://wire.example/ok", "HTTPS://wire.example/ok"),
    ]


def test_same_article_read_twice_is_read_once(tmp_path):
    first = write(tmp_path / "a" / "ferry.txt", HARBOUR_TXT)
    second = write(tmp_path / "b" / "ferry-copy.txt", HARBOUR_TXT)
    articles, skipped = read_all(first, second, first)
    assert [a.path for a in articles] == [str(first)] and skipped == []


def test_duplicate_id_with_other_content_is_skipped(tmp_path):
    first = write(tmp_path / "ferry.txt", HARBOUR_TXT)
    changed = write(tmp_path / "ferry-v2.txt", HARBOUR_TXT.replace("Monday", "Tuesday"))
    articles, skipped = read_all(first, changed)
    assert [a.path for a in articles] == [str(first)]
    assert skipped == [
        Skipped(
            str(changed),
            f"duplicate id https://courier.example/2024/03/ferry-returns (first read from {first})",
        )
    ]


def test_read_files_takes_what_find_article_files_found(tmp_path):
    write(tmp_path / "a.txt", "Alpha\n\nFirst story.\n")
    write(tmp_path / "b.txt", "Beta\n\nSecond story.\n")
    found = list(find_article_files([tmp_path, tmp_path / "missing.txt"]))
    assert len(found) == 3  # e.g. to show a progress bar over the files
    assert list(read_files(found)) == list(read_articles([tmp_path, tmp_path / "missing.txt"]))
    assert [type(item).__name__ for item in read_files(found)] == ["Article", "Article", "Skipped"]


def test_duplicate_ids_within_one_jsonl_file(tmp_path):
    path = write(tmp_path / "dup.jsonl", jsonl(
        {"id": "7", "body": "Original."}, {"id": "7", "body": "Original."}, {"id": 7, "body": "Rewritten."},
    ))
    articles, skipped = read_all(path)
    assert [a.line for a in articles] == [1]
    assert skipped == [Skipped(f"{path}:3", f"duplicate id 7 (first read from {path}:1)")]


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-11-17", "2024-11-17"),
        ("2024-11-17T10:30:00Z", "2024-11-17T10:30:00+00:00"),
        ("2024-11-17T10:30:00.250+01:00", "2024-11-17T10:30:00+01:00"),
        ("2024-11-17 10:30", "2024-11-17T10:30:00"),
        ("Sun, 17 Nov 2024 10:30:00 GMT", "2024-11-17T10:30:00+00:00"),
        ("Sun, 17 Nov 2024 10:30:00 -0500", "2024-11-17T10:30:00-05:00"),
        ("17 Nov 2024", "2024-11-17"),
        ("November 17, 2024", "2024-11-17"),
        ("Nov. 17, 2024", "2024-11-17"),
        ("Sunday, November 17th, 2024", "2024-11-17"),
        ("Sept. 3, 2024", "2024-09-03"),
        ("17-NOV-1987 10:30:00.00", "1987-11-17T10:30:00"),
        ("27-MAR-1987 00:02:59.13RM", "1987-03-27T00:02:59"),
        ("27-MAR-1987 04:38:47.18M C F", "1987-03-27T04:38:47"),
        ("32-NOV-1987 10:00", None),
        ("Sun, 17 Nov 100000000000000000000 10:30:00 GMT", None),
        ("11/17/2024", "2024-11-17"),
        ("2024/11/17", "2024-11-17"),
        ("  2024-11-17  ", "2024-11-17"),
        ("last Tuesday", None),
        ("2024-13-45", None),
        ("", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_unparseable_date_is_not_a_skip(tmp_path):
    text = "Title: Fog\nPublished: sometime soon\n\nFog at the airport.\n"
    article = read_one(write(tmp_path / "d.txt", text))
    assert article.published is None
    assert article.notes == ("published date 'sometime soon' could not be read as a date; indexed without one",)
    assert "notes" not in article.to_json()


@pytest.mark.parametrize("written, published", [
    ("13/03/2020", "2020-03-13"), ("05/03/2020", "2020-05-03"), ("13.03.2020", "2020-03-13"),
    ("20210509", "2021-05-09"),
])
def test_dates_written_day_first_or_without_separators(tmp_path, written, published):
    article = read_one(write(tmp_path / "d.txt", f"Title: Fog\nPublished: {written}\n\nFog at the airport.\n"))
    assert (article.published, article.notes) == (published, ())


@pytest.mark.parametrize("value, published", [
    (1591000000, "2020-06-01T08:26:40+00:00"), (1591000000000, "2020-06-01T08:26:40+00:00"), (2020, None),
])
def test_a_jsonl_date_given_as_a_number_is_seconds_since_1970(tmp_path, value, published):
    article = read_one(write(tmp_path / "f.jsonl", jsonl({"body": "Fog at the airport.", "published": value})))
    assert article.published == published and bool(article.notes) == (published is None)


# --- encodings ------------------------------------------------------------------------------------


def test_latin1_file(tmp_path):
    text = "Title: Café owner wins award\n\nThe café on Münzgasse won a prize for its crème brûlée.\n"
    article = read_one(write(tmp_path / "cafe.txt", text.encode("latin-1")))
    assert article.title == "Café owner wins award"
    assert article.body == "The café on Münzgasse won a prize for its crème brûlée."


def test_windows_1252_quotes(tmp_path):
    text = "Title: “Quoted” – headline\n\nShe said it’s done.\n"
    assert read_one(write(tmp_path / "q.txt", text.encode("cp1252"))).title == "“Quoted” – headline"


def test_html_meta_charset_is_respected(tmp_path):
    page = '<html><head><meta charset="koi8-r"><title>Новости</title></head><body><p>Привет, мир.</p>'
    article = read_one(write(tmp_path / "ru.html", page.encode("koi8-r")))
    assert (article.title, article.body) == ("Новости", "Привет, мир.")


@pytest.mark.parametrize("label", ["iso-8859-1", "latin1", "us-ascii", "windows-1252"])
def test_a_page_labelled_latin1_is_read_as_browsers_read_it(tmp_path, label):
    page = (f'<html><head><meta charset="{label}"><title>Price €100 “quoted”</title></head><body><article>'
            '<p>It costs €100 – the “best” deal in Zürich.</p></article></body></html>')
    article = read_one(write(tmp_path / "price.html", page.encode("cp1252")))
    assert (article.title, article.body) == ("Price €100 “quoted”", "It costs €100 – the “best” deal in Zürich.")


def test_a_byte_windows_1252_leaves_undefined_loses_nothing_else(tmp_path):
    page = ('<html><head><meta charset="iso-8859-1"><title>Price</title></head><body><article>'
            '<p>It costs €100 – the “best” deal.</p></article></body></html>').encode("cp1252")
    article = read_one(write(tmp_path / "price.html", page.replace(b"deal", b"deal\x81")))
    assert article.body == "It costs €100 – the “best” deal."
    assert read_one(write(tmp_path / "plain.txt", b"Title: Price\n\nIt costs \x80100 \x81now.\n")).body == "It costs €100 now."


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_byte_order_marks(tmp_path, encoding):
    data = HARBOUR_TXT.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    article = read_one(write(tmp_path / "ferry.txt", data))
    assert article.title == "Harbour ferry returns after winter repairs"
    assert article.body.endswith("who rides it to work every day.")


def test_utf16_jsonl(tmp_path):
    records = [{"title": "Größe", "body": "Straße gesperrt."}, {"body": "Zweite Zeile."}]
    data = jsonl(*records).encode("utf-16")
    articles, skipped = read_all(write(tmp_path / "de.jsonl", data))
    assert [a.body for a in articles] == ["Straße gesperrt.", "Zweite Zeile."] and skipped == []


# --- bad input ------------------------------------------------------------------------------------


def test_binary_file(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    for name in ("photo.txt", "photo.html", "photo.jsonl"):
        write(tmp_path / name, png)
    write_gz(tmp_path / "photo.txt.gz", png)
    _, skipped = read_all(tmp_path)
    assert reasons(skipped) == dict.fromkeys(
        ["photo.html", "photo.jsonl", "photo.txt", "photo.txt.gz"], "binary file, not text"
    )


def test_empty_files(tmp_path):
    for name in ("a.txt", "b.html", "c.jsonl"):
        write(tmp_path / name, b"")
    write_gz(tmp_path / "d.txt.gz", b"")
    write(tmp_path / "e.txt", "   \n\n  \n")
    _, skipped = read_all(tmp_path)
    assert reasons(skipped) == {
        "a.txt": "empty file", "b.html": "empty file", "c.jsonl": "empty file", "d.txt.gz": "empty file",
        "e.txt": "no body text",
    }


def test_article_with_no_body(tmp_path):
    write(tmp_path / "header-only.txt", "Title: Nothing to say\nPublished: 2024-01-01\n")
    write(tmp_path / "empty-page.html", "<html><head><title>Nothing</title></head><body></body></html>")
    _, skipped = read_all(tmp_path)
    assert reasons(skipped) == {"header-only.txt": "no body text", "empty-page.html": "no article text found"}


def test_fifty_megabyte_article_is_skipped_in_bounded_memory(tmp_path):
    big = tmp_path / "huge.txt"
    with big.open("wb") as file:
        file.write(b"Title: Too long\n\n")
        for _ in range(50):
            file.write(b"All work and no play makes a very long article. " * 21_846)
    tracemalloc.start()
    try:
        _, skipped = read_all(big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert skipped == [Skipped(str(big), "article larger than 10 MB")]
    assert peak < 3 * MAX_ARTICLE_BYTES


def test_gzip_bomb_is_skipped_in_bounded_memory(tmp_path):
    bomb = tmp_path / "bomb.txt.gz"
    with gzip.open(bomb, "wb", compresslevel=1) as file:
        for _ in range(160):
            file.write(b"word " * 262_144)  # 200 MB once decompressed
    tracemalloc.start()
    try:
        _, skipped = read_all(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert bomb.stat().st_size < 2 * 2**20
    assert skipped == [Skipped(str(bomb), "article larger than 10 MB")]
    assert peak < 3 * MAX_ARTICLE_BYTES


def test_oversized_jsonl_line_is_skipped_and_the_rest_read(tmp_path):
    path = tmp_path / "feed.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=1) as file:
        file.write(jsonl({"title": "Before", "body": "Read before the giant line."}).encode())
        file.write(b'{"title": "Giant", "body": "')
        for _ in range(30):
            file.write(b"x" * 2**20)
        file.write(b'"}\n')
        file.write(jsonl({"title": "After", "body": "Read after the giant line."}).encode())
    tracemalloc.start()
    try:
        articles, skipped = read_all(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [a.title for a in articles] == ["Before", "After"]
    assert [a.line for a in articles] == [1, 3]
    assert skipped == [Skipped(f"{path}:2", "article larger than 10 MB")]
    assert peak < 3 * MAX_ARTICLE_BYTES


def test_missing_path(tmp_path):
    _, skipped = read_all(tmp_path / "nowhere", tmp_path / "gone.txt")
    assert reasons(skipped) == dict.fromkeys(["nowhere", "gone.txt"], "no such file or directory")


def test_unsupported_file_given_explicitly(tmp_path):
    path = write(tmp_path / "notes.pdf", "not an article")
    assert list(find_article_files([path])) == [Skipped(str(path), "unsupported file type")]
    assert list(read_file(path, tmp_path)) == [Skipped(str(path), "unsupported file type")]


def test_folder_walk_skips_hidden_and_other_files_in_name_order(tmp_path):
    for name in ("b.txt", "a.html", "c.jsonl.gz", "z/y.htm", "notes.md", "photo.jpg", ".hidden.txt",
                 ".git/config.txt", "A.TXT"):
        write(tmp_path / name, "x")
    found = [file.relative_to(root).as_posix() for file, root in find_article_files([tmp_path])]
    assert found == ["A.TXT", "a.html", "b.txt", "c.jsonl.gz", "z/y.htm"]


def test_directory_named_like_an_article(tmp_path):
    folder = tmp_path / "x.txt"
    folder.mkdir()
    assert list(read_file(folder, tmp_path)) == [Skipped(str(folder), "Is a directory")]
    assert read_all(tmp_path) == ([], [])  # a folder is walked, and this one is empty


def test_dangling_symlink(tmp_path):
    write(tmp_path / "good.txt", "Good news\n\nThe bakery reopened.\n")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "deleted.txt")
    articles, skipped = read_all(tmp_path)
    assert [a.title for a in articles] == ["Good news"]
    assert reasons(skipped) == {"dangling.txt": "broken symbolic link: No such file or directory"}
    assert read_all(tmp_path / "dangling.txt")[1] == skipped


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_and_folder(tmp_path):
    locked_file = write(tmp_path / "locked.txt", HARBOUR_TXT)
    locked_dir = tmp_path / "locked"
    write(locked_dir / "inside.txt", HARBOUR_TXT)
    locked_file.chmod(0)
    locked_dir.chmod(0)
    try:
        _, skipped = read_all(tmp_path)
    finally:
        locked_dir.chmod(0o755)
    assert reasons(skipped) == {"locked.txt": "Permission denied", "locked": "Permission denied"}


def test_symlink_loop_finishes_and_is_reported(tmp_path):
    write(tmp_path / "top" / "sub" / "story.txt", "Loop story\n\nA story in a folder with a loop.\n")
    (tmp_path / "top" / "sub" / "up").symlink_to(tmp_path / "top")
    (tmp_path / "top" / "self.txt").symlink_to(tmp_path / "top" / "self.txt")
    articles, skipped = read_all(tmp_path / "top")
    assert [a.id for a in articles] == ["sub/story.txt"]
    assert reasons(skipped) == {
        "self.txt": "symlink loop",
        "up": f"symlink loop (back to {tmp_path / 'top'})",
    }


def test_two_links_to_one_folder_read_it_once(tmp_path):
    write(tmp_path / "shared" / "story.txt", "Shared\n\nRead once.\n")
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "a").symlink_to(tmp_path / "shared")
    (tmp_path / "root" / "b").symlink_to(tmp_path / "shared")
    articles, skipped = read_all(tmp_path / "root")
    assert [a.id for a in articles] == ["a/story.txt"]
    assert [s.reason for s in skipped] == [f"same folder as {tmp_path / 'root' / 'a'}, read once"]


def test_nothing_good_is_lost_next_to_bad_files(tmp_path):
    good = {
        "ferry.txt": HARBOUR_TXT,
        "library.html": LIBRARY_PAGE,
        "deep/market.htm.gz": MARKET_PAGE,
        "feed.jsonl": jsonl({"body": "Line one."}, "{oops", {"body": "Line three."}),
    }
    for name, content in good.items():
        (write_gz if name.endswith(".gz") else write)(tmp_path / name, content)
    write(tmp_path / "binary.txt", b"\x00\x01\x02" * 100)
    write(tmp_path / "empty.html", b"")
    write_gz(tmp_path / "bad.txt.gz", b"")
    write(tmp_path / "broken.txt.gz", b"\x1f\x8b\x08garbage")
    (tmp_path / "dangling.html").symlink_to(tmp_path / "nothing")
    articles, skipped = read_all(tmp_path, tmp_path / "missing.txt")
    assert sorted(a.title for a in articles) == [
        "Harbour ferry returns after winter repairs", "Library opens late on weekdays", "Line one.",
        "Line three.", "Weekend market moves into the old tram hall",
    ]
    assert sorted(Path(s.path).name for s in skipped) == [
        "bad.txt.gz", "binary.txt", "broken.txt.gz", "dangling.html", "empty.html", "feed.jsonl:2",
        "missing.txt",
    ]


# --- real pages -----------------------------------------------------------------------------------


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.lower()))


@pytest.mark.data
def test_real_news_pages():
    """Five pages whose expected body (the benchmark's ground truth) is long, read as a user would."""
    benchmark = require_data("article_extraction_benchmark")
    expected = json.loads((benchmark / "ground-truth.json").read_text(encoding="utf-8"))
    long_ones = sorted(key for key, truth in expected.items() if len(truth["articleBody"]) > 1000)[:5]
    for key in long_ones:
        (article,) = read_articles([benchmark / "html" / f"{key}.html.gz"])
        assert isinstance(article, Article), article
        assert article.title.strip() and len(article.body) > 500, key
        truth = words(expected[key]["articleBody"])
        found = sum((truth & words(article.body)).values()) / sum(truth.values())
        assert found > 0.8, key
