"""Taking the article out of a news page: which element holds it, what is left out, how lines
break, which metadata wins, pages in other scripts, and pages with no article at all."""

from __future__ import annotations

import json
import unicodedata

import pytest

from index.articles import read_html
from index.html_pages import PageContent, extract_page


def page(body: str, head: str = "") -> str:
    """A whole HTML document with *head* and *body* markup."""
    return f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">{head}</head>\n<body>\n{body}\n</body></html>'


def json_ld(data: dict) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def text_only(body: str) -> PageContent:
    """What a page without any metadata yields: its body and nothing else."""
    return PageContent(title=None, body=body, published=None, author=None, source=None, url=None, section=None)


# --- which element holds the article ----------------------------------------------------------------


def test_item_prop_article_body_wins_over_a_longer_column():
    column = """\
<div class="column">
<p>Our columnist remembers the summers when the pool was a muddy pond at the edge of the park.</p>
<p>She recalls the queues for ice cream by the gate, the brass band on Sundays and the ticket seller
who knew every family in town by name.</p>
</div>"""
    story = """\
<div itemprop="articleBody">
<p>The town pool reopens on Saturday after a new filter was fitted.</p>
<p>Lifeguards will be on duty from seven in the morning.</p>
</div>"""
    result = extract_page(page(f'<div class="layout">\n{story}\n{column}\n</div>'))
    assert result == text_only(
        "The town pool reopens on Saturday after a new filter was fitted.\n"
        "Lifeguards will be on duty from seven in the morning."
    )


def test_several_articles_of_a_size_are_all_kept_and_a_teaser_beside_one_is_not():
    entries = """\
<main>
<h1>Live: storms across the North Sea</h1>
<article><h2>09:10 Norway</h2><p>A storm closed the ports of Bergen and Stavanger overnight, and ferries stayed in.</p></article>
<p>Sign up for our storm newsletter.</p>
<article><h2>10:45 Denmark</h2><p>Winds of 140 km/h cut power to thirty thousand homes in Jutland this morning.</p></article>
</main>"""
    body = extract_page(page(entries)).body
    assert "Bergen and Stavanger" in body and "thirty thousand homes in Jutland" in body
    assert "newsletter" not in body  # only the entries, not what stands between them
    teaser = """\
<article><p>The council approved the new harbour wall on Tuesday after three years of argument.</p>
<p>Work starts in March and will take two years, the council said, at a cost of forty million.</p>
<p>Fishermen welcomed the decision but asked for the old slipway to be kept.</p></article>
<aside><article><p>Also read: the ferry timetable for winter.</p></article></aside>"""
    assert "ferry timetable" not in extract_page(page(teaser)).body
    # Teasers as long as the story, but elsewhere on the page than beside it, are not entries.
    teasers = """\
<main><article><p>The council approved the new harbour wall on Tuesday after three years of argument.</p>
<p>Work starts in March.</p></article>
<div class="more"><article><p>Also read: the ferry timetable for winter, with new sailings added.</p></article>
<article><p>Also read: the fish market moves to the old quay this spring, traders say.</p></article></div></main>"""
    assert "Also read" not in extract_page(page(teasers)).body


def test_main_element_holds_the_article_when_there_is_no_article_element():
    body = """\
<div class="masthead">
<p>The Lowland Post has been printed every Thursday since 1921 and is left at every door in the valley.</p>
<p>Our reporters cover the council, the schools, the farms and the football club, and print every signed letter.</p>
</div>
<main>
<h1>Bakery wins the bread prize</h1>
<p>A family bakery on Mill Street has won the regional bread prize for the third year running.</p>
<p>The judges praised its rye loaf, baked in a wood-fired oven.</p>
<ul><li>Best rye loaf</li><li>Best seeded roll</li></ul>
</main>"""
    assert extract_page(page(body, "<title>Bakery wins | Lowland Post</title>")) == PageContent(
        title="Bakery wins the bread prize",
        body=(
            "A family bakery on Mill Street has won the regional bread prize for the third year running.\n"
            "The judges praised its rye loaf, baked in a wood-fired oven.\n"
            "Best rye loaf\n"
            "Best seeded roll"
        ),
        published=None, author=None, source=None, url=None, section=None,
    )


SECTION_LINKS = """\
<div id="top"><ul>
<li><a href="/local">Local news from the valley</a></li>
<li><a href="/weather">Weather and tides for the coast</a></li>
<li><a href="/sport">Sport results and fixtures</a></li>
<li><a href="/letters">Letters to the editor</a></li>
<li><a href="/notices">Obituaries and family notices</a></li>
</ul></div>"""

BRIDGE_STORY = """\
<div class="story">
<p>Work on the new footbridge over the river will start in May.</p>
<p>The bridge will link the station to the market square.</p>
<p>It is expected to open to walkers and cyclists next spring.</p>
</div>"""

BRIDGE_BODY = (
    "Work on the new footbridge over the river will start in May.\n"
    "The bridge will link the station to the market square.\n"
    "It is expected to open to walkers and cyclists next spring."
)

SHORT_LINKS = """\
<div class="bottom"><p><a href="/about">About</a> · <a href="/contact">Contact</a> · <a href="/jobs">Jobs</a>
 · <a href="/privacy">Privacy</a> · <a href="/terms">Terms</a> · <a href="/rss">RSS</a></p></div>"""


def test_without_markers_the_block_of_paragraphs_wins_over_link_lists():
    result = extract_page(page(f"{SECTION_LINKS}\n{BRIDGE_STORY}\n{SHORT_LINKS}", "<title>Footbridge</title>"))
    assert (result.title, result.body) == ("Footbridge", BRIDGE_BODY)


def test_without_paragraphs_the_block_of_bare_text_wins_over_link_lists():
    story = """\
<div class="text">The river rose by two metres overnight.<br>
Sandbags were handed out at the fire station.<br>
Schools near the bank stay closed on Friday.</div>"""
    links = '<div id="top"><a href="/a">Local news</a> <a href="/b">Weather and tides</a> <a href="/c">Sport</a></div>'
    assert extract_page(page(f"{links}\n{story}\n{SHORT_LINKS}")) == text_only(
        "The river rose by two metres overnight.\n"
        "Sandbags were handed out at the fire station.\n"
        "Schools near the bank stay closed on Friday."
    )


def test_a_list_of_linked_headlines_does_not_cut_the_story_to_one_paragraph():
    headlines = """\
<div class="most-read">
<p><a href="/budget">Council approves the budget for the coming year after a long session</a></p>
<p><a href="/choir">School choir sings at the cathedral on Christmas Eve for the first time</a></p>
<p><a href="/harbour">Harbour master retires after forty years of service in the port</a></p>
</div>"""
    assert extract_page(page(f"{headlines}\n{BRIDGE_STORY}")).body == BRIDGE_BODY


# --- boilerplate inside the article ------------------------------------------------------------------


def test_boilerplate_inside_the_article_is_left_out():
    article = """\
<article>
<h1>New tram line opens</h1>
<div class="share-bar"><a href="#">Facebook</a> <span>Share this story with your friends</span></div>
<p>The first tram on the new eastern line left the depot at six this morning.</p>
<figure><img src="tram.jpg" alt=""><figcaption>A tram crosses the canal bridge at dawn.</figcaption></figure>
<p>The line has eleven stops and runs every eight minutes at peak times.</p>
<div id="newsletter-signup"><p>Get the morning briefing in your inbox every day.</p></div>
<aside><p>Fact box: the old tram network closed in 1961 and its rails were torn up.</p></aside>
<p>Fares are the same as on the buses, the transport authority said.</p>
<div class="cookie-notice"><p>This site uses cookies to remember your settings.</p></div>
<div class="related-articles"><h3>Related</h3>
<ul><li><a href="/buses">Bus lanes on the ring road</a></li></ul>
<p>More on transport in the city and the region.</p></div>
<section id="comments"><h2>Comments</h2><p>Reader: at last, we waited thirty years for this.</p></section>
</article>"""
    assert extract_page(page(article)) == PageContent(
        title="New tram line opens",
        body=(
            "The first tram on the new eastern line left the depot at six this morning.\n"
            "The line has eleven stops and runs every eight minutes at peak times.\n"
            "Fares are the same as on the buses, the transport authority said."
        ),
        published=None, author=None, source=None, url=None, section=None,
    )


# --- lines of the body -------------------------------------------------------------------------------


def test_each_paragraph_is_one_line():
    article = """\
<article>
  <p>The children's choir sang at the town hall on <em>Sunday</em>.</p>
  <p>More than <a href="/crowd">two hundred people</a> came to   listen.</p>
  <p>The next concert is planned for the harvest festival.</p>
</article>"""
    body = extract_page(page(article)).body
    assert body.split("\n") == [
        "The children's choir sang at the town hall on Sunday.",
        "More than two hundred people came to listen.",
        "The next concert is planned for the harvest festival.",
    ]


def test_subheadings_and_line_breaks_start_new_lines_and_the_headline_stays_out():
    article = """\
<article>
<h1>Choir sings at the town hall</h1>
<p>The children's choir sang at the town hall on Sunday.</p>
<h2>A new conductor</h2>
<p>Ana Ruiz took over the choir in January.<br>She teaches music at the primary school.</p>
</article>"""
    result = extract_page(page(article))
    assert result.title == "Choir sings at the town hall"
    assert result.body == (
        "The children's choir sang at the town hall on Sunday.\n"
        "A new conductor\n"
        "Ana Ruiz took over the choir in January.\n"
        "She teaches music at the primary school."
    )


def test_an_article_of_bare_text_breaks_at_each_br_and_drops_blank_lines():
    article = """\
<article>
The children's choir sang at the town hall on Sunday.<br>
More than two hundred people came to listen.<br><br>
Ana Ruiz took over the choir in January.
</article>"""
    assert extract_page(page(article)).body == (
        "The children's choir sang at the town hall on Sunday.\n"
        "More than two hundred people came to listen.\n"
        "Ana Ruiz took over the choir in January."
    )


def test_a_paragraph_wrapped_in_the_source_stays_one_line():
    article = """\
<article>
<p>The children's choir sang at the town hall
   on Sunday afternoon.</p>
<p>More than two hundred people
   came to listen.</p>
</article>"""
    assert extract_page(page(article)).body == (
        "The children's choir sang at the town hall on Sunday afternoon.\n"
        "More than two hundred people came to listen."
    )


# --- metadata ----------------------------------------------------------------------------------------

KEEPER_ARTICLE = "<article><p>The lighthouse keeper retired after thirty years on the island.</p></article>"
SUFFIXED_TITLE = "<title>Keeper retires | Island Echo</title>"


@pytest.mark.parametrize(
    "head, body, title",
    [
        (SUFFIXED_TITLE + '<meta property="og:title" content="Lighthouse keeper retires">'
         + json_ld({"@type": "NewsArticle", "headline": "Island keeper retires after thirty years"}),
         KEEPER_ARTICLE, "Island keeper retires after thirty years"),
        (SUFFIXED_TITLE + '<meta property="og:title" content="  Lighthouse keeper retires ">',
         KEEPER_ARTICLE, "Lighthouse keeper retires"),
        (SUFFIXED_TITLE,
         "<article><h1>Keeper retires after thirty years</h1><p>The keeper retired.</p></article>",
         "Keeper retires after thirty years"),
    ],
    ids=["json-ld headline", "og:title", "h1"],
)
def test_title_comes_from_json_ld_then_open_graph_then_the_headline(head, body, title):
    assert extract_page(page(body, head)).title == title


@pytest.mark.parametrize(
    "head, body, as_written, iso",
    [
        ('<meta property="article:published_time" content="2024-04-03T09:30:00+01:00">'
         '<meta name="date" content="2024-04-05">',
         KEEPER_ARTICLE, "2024-04-03T09:30:00+01:00", "2024-04-03T09:30:00+01:00"),
        ('<meta name="date" content="April 5, 2024">', KEEPER_ARTICLE, "April 5, 2024", "2024-04-05"),
        ('<meta property="article:published_time" content="last Tuesday">'
         '<meta name="date" content="5 April 2024">',
         KEEPER_ARTICLE, "5 April 2024", "2024-04-05"),
        ("", '<article><time datetime="2024-04-06T18:00">6 April</time><p>The keeper retired.</p></article>',
         "2024-04-06T18:00", "2024-04-06T18:00:00"),
        ('<meta property="article:published_time" content="2024-04-03">'
         + json_ld({"@type": "NewsArticle", "datePublished": "2024-04-02T07:00:00Z"}),
         KEEPER_ARTICLE, "2024-04-02T07:00:00Z", "2024-04-02T07:00:00+00:00"),
    ],
    ids=["published_time over date", "meta date", "unreadable date skipped", "time element", "json-ld first"],
)
def test_published_date_is_kept_as_written_and_read_as_iso_8601(head, body, as_written, iso):
    html = page(body, head)
    assert extract_page(html).published == as_written
    assert read_html(html, "keeper.html").published == iso


def test_canonical_link_wins_over_og_url():
    head = ('<meta property="og:url" content="https://echo.example/keeper?utm_source=feed">'
            '<link rel="canonical" href="https://echo.example/keeper">')
    assert extract_page(page(KEEPER_ARTICLE, head)).url == "https://echo.example/keeper"


@pytest.mark.parametrize(
    "head, url",
    [
        ('<link rel="canonical" href="/news/keeper"><meta property="og:url" content="https://echo.example/keeper">',
         "https://echo.example/keeper"),
        ('<link rel="canonical" href="javascript:alert(1)"><meta property="og:url" content="javascript:void(0)">',
         None),
        ('<link rel="canonical" href="//echo.example/keeper">', None),
    ],
    ids=["relative", "javascript", "scheme-relative"],
)
def test_canonical_urls_that_are_not_web_addresses_are_passed_over(head, url):
    html = page(KEEPER_ARTICLE, head)
    assert extract_page(html).url == url
    assert read_html(html, "keeper.html").id == (url or "keeper.html")


@pytest.mark.parametrize(
    "head, author",
    [
        ('<meta name="author" content="By Selma Hart">', "Selma Hart"),
        ('<meta name="author" content="Byron Lee">', "Byron Lee"),
        ('<meta property="article:author" content="https://www.facebook.com/islandecho">'
         '<meta name="parsely-author" content="Selma Hart">', "Selma Hart"),
        ('<meta name="author" content="Echo staff">'
         + json_ld({"@type": "NewsArticle", "author": [
             {"@type": "Person", "name": "Selma Hart"}, {"@type": "Person", "name": "Olu Bakare"}, "Jin Park"]}),
         "Selma Hart, Olu Bakare, Jin Park"),
    ],
    ids=["by prefix", "name starting with by", "profile url skipped", "json-ld list"],
)
def test_author_from_meta_tags_and_json_ld(head, author):
    assert extract_page(page(KEEPER_ARTICLE, head)).author == author


def test_headline_and_date_come_from_the_article_not_the_masthead():
    body = """\
<header><h1 class="logo"><a href="/">Island Echo</a></h1><time datetime="2024-05-20">Monday 20 May</time></header>
<article>
<h1>Keeper retires after thirty years</h1>
<time datetime="2024-05-17">17 May</time>
<p>The lighthouse keeper retired after thirty years on the island.</p>
</article>"""
    result = extract_page(page(body, SUFFIXED_TITLE))
    assert (result.title, result.published) == ("Keeper retires after thirty years", "2024-05-17")


# --- other languages and scripts ---------------------------------------------------------------------

LANGUAGE_PAGES = {
    "german": (
        '<html lang="de">',
        "Fähre fährt wieder",
        ["Die Fähre über den Fluss fährt seit Montag wieder nach Fahrplan.",
         "„Wir sind froh, dass die Überfahrt wieder möglich ist“, sagte Jürgen Weiß."],
    ),
    "russian": (
        '<html lang="ru">',
        "Библиотека открылась после ремонта",
        ["Городская библиотека снова принимает читателей после ремонта крыши.",
         "«Мы ждали этого всю зиму», — сказала Ольга Петрова."],
    ),
    "japanese": (
        '<html lang="ja">',
        "港の朝市が再開",
        ["港の朝市が三年ぶりに再開された。", "地元の漁師は「毎週続けたい」と話した。"],
    ),
    "arabic": (
        '<html lang="ar" dir="rtl">',
        "افتتاح مكتبة جديدة في المدينة",
        ["افتتحت البلدية مكتبة جديدة في وسط المدينة يوم الأحد.",
         "وقال مدير المكتبة إنها تضم أكثر من عشرة آلاف كتاب."],
    ),
}


@pytest.mark.parametrize("language", LANGUAGE_PAGES)
def test_pages_in_other_languages_and_scripts(language):
    html_tag, title, paragraphs = LANGUAGE_PAGES[language]
    html = (
        f'<!DOCTYPE html>\n{html_tag}<head><meta charset="utf-8"><title>{title}</title></head><body>\n'
        '<nav><ul><li><a href="/">⌂</a></li><li><a href="/news">…</a></li></ul></nav>\n'
        f"<article>\n<h1>{title}</h1>\n" + "".join(f"<p>{p}</p>\n" for p in paragraphs) + "</article>\n"
        "</body></html>"
    )
    result = extract_page(html)
    assert (result.title, result.body) == (title, "\n".join(paragraphs))
    article = read_html(html, f"{language}.html")
    assert (article.title, article.body) == (title, "\n".join(paragraphs))
    assert unicodedata.is_normalized("NFC", article.title + article.body)


def test_decomposed_accents_are_composed_in_the_article():
    html = page("<article><p>Die Fa\u0308hre fa\u0308hrt wieder.</p></article>", "<title>Fa\u0308hre</title>")
    article = read_html(html, "faehre.html")
    assert (article.title, article.body) == ("F\u00e4hre", "Die F\u00e4hre f\u00e4hrt wieder.")


# --- pages without an article ------------------------------------------------------------------------


def test_a_page_of_navigation_only_has_no_article_text():
    body = """\
<header><a href="/">Island Echo</a></header>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<footer><a href="/contact">Contact</a> · <a href="/privacy">Privacy</a></footer>"""
    with pytest.raises(ValueError, match="^no article text found$"):
        extract_page(page(body, "<title>Island Echo</title>"))


def test_a_cookie_consent_wall_has_no_article_text():
    body = """\
<header><a href="/">Island Echo</a></header>
<div class="cookie-banner"><p>We use cookies to improve your experience on our website.</p>
<a href="/accept">Accept all</a> <a href="/settings">Settings</a></div>
<footer><p>Copyright 2024 Island Echo.</p></footer>"""
    with pytest.raises(ValueError, match="^no article text found$"):
        extract_page(page(body, "<title>Island Echo</title>"))
