"""Wire copies on the shared corpora: how many stories of near-duplicates form, and a sample to check by hand.

* BBC News (2,225 articles): every record whose text repeats another's exactly must share its story;
* Reuters-21578 (19,043 stories with a body): how many stories have copies, their sizes, and a random
  sample of them printed with what differs between each copy and the story's first article, to be
  read by hand for false merges.

The articles are grouped as a fresh ``news-search index`` of the file groups them: read in the same
order, through the same :class:`index.stories.StoryFinder`.

    .venv/bin/python -m benchmarks.stories [--sample 30] [--seed 1] [--json FILE]
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import random
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from benchmarks.corpora import data_dir, reuters_articles, write_jsonl
from index.articles import Article, read_articles
from index.stories import StoryFinder, StoryParams, shingles


def group_articles(articles: list[Article], params: StoryParams | None = None) -> dict[str, list[Article]]:
    """The articles by story, as a fresh index run assigns them, in reading order within a story."""
    finder = StoryFinder(params)
    stories: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        stories[finder.assign(article.id, article.title, article.body, article.published).story].append(article)
    return stories


def size_distribution(stories: dict[str, list[Article]]) -> dict[int, int]:
    """How many stories have each size (two articles or more)."""
    return dict(sorted(Counter(len(group) for group in stories.values() if len(group) > 1).items()))


def exact_repeats(path: Path) -> dict[int, int]:
    """In a gzipped JSON-lines file of ``text`` records: the line number of each record whose text
    repeats an earlier one's, mapped to the line of the first with that text."""
    first: dict[str, int] = {}
    repeats: dict[int, int] = {}
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            original = first.setdefault(json.loads(line)["text"], number)
            if original != number:
                repeats[number] = original
    return repeats


def bbc_news(params: StoryParams | None = None) -> dict:
    """Stories in BBC News, and whether each exact repeat shares its original's story."""
    path = data_dir() / "bbc_news" / "bbc_news.jsonl.gz"
    repeats = exact_repeats(path)
    articles = [item for item in read_articles([path]) if isinstance(item, Article)]
    stories = group_articles(articles, params)
    story_of = {article.line: story for story, group in stories.items() for article in group}
    grouped = sum(story_of[copy] == story_of[original] for copy, original in repeats.items())
    return {"articles": len(articles), "exact_repeats": len(repeats), "exact_repeats_grouped": grouped,
            "stories_with_copies": sum(len(group) > 1 for group in stories.values()),
            "articles_in_them": sum(len(group) for group in stories.values() if len(group) > 1),
            "sizes": size_distribution(stories)}


def reuters(params: StoryParams | None = None, sample: int = 30, seed: int = 1) -> tuple[dict, list[list[Article]]]:
    """Stories in Reuters-21578, and a random sample of those with copies."""
    with tempfile.TemporaryDirectory() as folder:
        feed = Path(folder) / "reuters.jsonl"
        write_jsonl(reuters_articles(), feed)
        articles = [item for item in read_articles([feed]) if isinstance(item, Article)]
    stories = group_articles(articles, params)
    with_copies = [group for group in stories.values() if len(group) > 1]
    figures = {"articles": len(articles), "stories_with_copies": len(with_copies),
               "articles_in_them": sum(map(len, with_copies)), "sizes": size_distribution(stories)}
    return figures, random.Random(seed).sample(with_copies, min(sample, len(with_copies)))


def describe(group: list[Article]) -> str:
    """A story for reading by hand: its first article, then each copy's Jaccard similarity to it and what differs."""
    first = group[0]
    lines = [f"== {len(group)} articles; first {first.id} {first.published or ''}: {first.title}",
             f"   {first.body[:300]!r}"]
    words = first.title.split() + first.body.split()
    for copy in group[1:]:
        a, b = shingles(f"{first.title}\n{first.body}"), shingles(f"{copy.title}\n{copy.body}")
        theirs = copy.title.split() + copy.body.split()
        changes = [f"{' '.join(words[i1:i2])!r} -> {' '.join(theirs[j1:j2])!r}"
                   for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, words, theirs, autojunk=False).get_opcodes()
                   if tag != "equal"]
        lines.append(f"   {copy.id} {copy.published or ''} Jaccard {len(a & b) / len(a | b):.2f}: {copy.title}")
        lines.append(f"      differs: {'; '.join(changes)[:400] or 'nothing'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=30, help="Reuters stories with copies to print")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    figures = {"bbc_news": bbc_news()}
    print("BBC News:", json.dumps(figures["bbc_news"]))
    figures["reuters"], sample = reuters(sample=options.sample, seed=options.seed)
    print("Reuters-21578:", json.dumps(figures["reuters"]))
    print(f"\nA random sample of {len(sample)} Reuters stories with copies (seed {options.seed}):\n")
    for group in sample:
        print(describe(group), end="\n\n")
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
