"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``.

Its schemas are JSON Schema 2020-12, so tests validate real responses against them.
"""

from __future__ import annotations

from search.params import (COLLAPSES, GROUPS, MAX_BODY_BYTES, MAX_PAGE, MAX_PER_PAGE, MAX_QUERY_CHARS,
                           MAX_RECENCY_DAYS, MAX_RELATED_LIMIT, RELATED_LIMIT, SORTS)

_NULLABLE_STRING = {"type": ["string", "null"]}

SCHEMAS: dict = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "parameter"],
                "properties": {
                    "code": {"type": "string", "description": "Machine-readable error code."},
                    "message": {"type": "string", "description": "What is wrong, for a person."},
                    "parameter": {**_NULLABLE_STRING, "description": "The offending parameter, if any."},
                },
            }
        },
    },
    "PassageHit": {
        "type": "object",
        "required": ["passage_id", "position", "start", "end", "snippet"],
        "properties": {
            "passage_id": {"type": "string"},
            "position": {"type": "integer", "minimum": 0, "description": "0-based position in the article."},
            "start": {"type": "integer", "minimum": 0, "description": "Character offset in the article body."},
            "end": {"type": "integer", "minimum": 0},
            "snippet": {"type": "string", "description": "HTML-escaped text; matches wrapped in <mark>."},
        },
    },
    "Hit": {
        "type": "object",
        "required": ["article_id", "title", "url", "source", "published", "score", "passages", "story",
                     "other_versions"],
        "properties": {
            "article_id": {"type": "string"},
            "title": {"type": "string"},
            "url": _NULLABLE_STRING,
            "source": _NULLABLE_STRING,
            "published": {**_NULLABLE_STRING, "description": "ISO 8601 date or date-time."},
            "score": {"type": "number"},
            "passages": {"type": "array", "items": {"$ref": "#/components/schemas/PassageHit"}},
            "story": {"type": "string", "description": "The article's story of wire copies: the id of the first "
                                                       "indexed article it is a near-duplicate of, else its own id."},
            "other_versions": {"type": "array", "items": {"$ref": "#/components/schemas/Version"},
                               "description": "With collapse=story, the story's other matching articles, "
                                              "left out of the results; empty with collapse=none."},
            "explanation": {"$ref": "#/components/schemas/Explanation"},
        },
    },
    "Explanation": {
        "type": "object",
        "required": ["recency", "total"],
        "description": "With explain=1, the components of the score. Ranked by relevance (group=article): "
                       "(sum of article_bm25 + passage_evidence) * recency = total; all_words "
                       "orders results (those holding every word first) but adds nothing. Grouped by passage, "
                       "(sum of passage_score + article_relevance + coverage + proximity) * recency = total. "
                       "Otherwise the passage's score or the passage evidence, times recency.",
        "properties": {
            "article_bm25": {"type": "object", "additionalProperties": {"type": "number"},
                             "description": "Each (stemmed) word's whole-article BM25, times its weight "
                                            "for being typed more than once, scaled to the best article's."},
            "passage_evidence": {"type": "number", "description": "The best two passages' share of the score."},
            "passage_score": {"type": "number", "description": "With group=passage: the passage's own BM25, "
                                                               "by relevance scaled to the best passage's."},
            "article_relevance": {"type": "number", "description": "With group=passage, by relevance: the "
                                  "passage's article's BM25, scaled to the best article's and weighted."},
            "coverage": {"type": "number", "description": "With group=passage, by relevance: the weighted share "
                         "of the query's words (by rarity) the passage's text holds."},
            "proximity": {"type": "number", "description": "With group=passage, by relevance: how close the "
                          "query's different words stand in the passage, weighted."},
            "all_words": {"type": "boolean", "description": "Whether the article holds every word of the query."},
            "recency": {"type": "number", "minimum": 0, "maximum": 1,
                        "description": "The recency decay the sum is multiplied by; 1 without recency."},
            "total": {"type": "number", "description": "The score shown (rounded to 4 places)."},
            "expansions": {
                "type": "array",
                "description": "Each prefix* that stands for more words than the limit, and the words searched.",
                "items": {"type": "object", "required": ["pattern", "field", "limit", "words"],
                          "properties": {"pattern": {"type": "string"}, "field": {"type": "string"},
                                         "limit": {"type": "integer"},
                                         "words": {"type": "array", "items": {"type": "string"}}}},
            },
        },
        "additionalProperties": False,
    },
    "Version": {
        "type": "object",
        "required": ["article_id", "source"],
        "properties": {"article_id": {"type": "string"}, "source": _NULLABLE_STRING},
        "description": "Another article of the same story: a wire copy.",
    },
    "FacetCount": {
        "type": "object",
        "required": ["value", "count"],
        "properties": {"value": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
    },
    "TimelineBucket": {
        "type": "object",
        "required": ["key", "unit", "label", "start", "end", "count"],
        "properties": {
            "key": {"type": "string", "description": "2024-11-18 (day), 2024-W47 (ISO week), 2024-11 or 2024."},
            "unit": {"type": "string", "enum": ["day", "week", "month", "year"]},
            "label": {"type": "string", "description": "The period for a person: \"Week of 18 Nov 2024\"."},
            "start": {"type": "string", "format": "date", "description": "First day of the period."},
            "end": {"type": "string", "format": "date", "description": "Last day of the period, inclusive."},
            "count": {"type": "integer", "minimum": 0},
        },
    },
    "SearchResults": {
        "type": "object",
        "required": ["query", "total", "page", "pages", "per_page", "sort", "collapse", "took_ms", "warnings",
                     "results", "facets", "suggestion"],
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0,
                      "description": "Articles (group=article) or passages; with collapse=story, one article "
                                     "per story is counted."},
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "sort": {"type": "string", "enum": list(SORTS), "description": "The order actually used."},
            "group": {"type": "string", "enum": list(GROUPS)},
            "collapse": {"type": "string", "enum": list(COLLAPSES)},
            "took_ms": {"type": "number", "minimum": 0},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": {
                "type": "object",
                "required": ["source", "published", "timeline"],
                "properties": {
                    "source": {"type": "array", "items": {"$ref": "#/components/schemas/FacetCount"}},
                    "published": {"type": "array", "items": {"$ref": "#/components/schemas/FacetCount"},
                                  "description": "Counts by month, YYYY-MM."},
                    "timeline": {"type": "array", "items": {"$ref": "#/components/schemas/TimelineBucket"},
                                 "description": "Counts by period, oldest first, empty periods included: by "
                                                "day over up to 62 days, by week up to 366, by month up to "
                                                "ten years, else by year. Undated articles are not counted."},
                },
            },
            "suggestion": {**_NULLABLE_STRING, "description": "A respelled query when few results were found."},
        },
    },
    "ArticlePassage": {
        "type": "object",
        "required": ["passage_id", "position", "start", "end", "matched", "html"],
        "properties": {
            "passage_id": {"type": "string"},
            "position": {"type": "integer", "minimum": 0},
            "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer", "minimum": 0},
            "matched": {"type": "boolean", "description": "Whether the query q matches this passage."},
            "html": {"type": "string", "description": "The passage, HTML-escaped, matches in <mark>."},
        },
    },
    "Article": {
        "type": "object",
        "required": ["article_id", "title", "url", "source", "published", "author", "section", "body",
                     "passages", "query", "warnings", "story", "other_versions"],
        "properties": {
            "article_id": {"type": "string"},
            "title": {"type": "string"},
            "url": _NULLABLE_STRING,
            "source": _NULLABLE_STRING,
            "published": _NULLABLE_STRING,
            "author": _NULLABLE_STRING,
            "section": _NULLABLE_STRING,
            "body": {"type": "string", "description": "Plain text; passages' start/end index into it."},
            "passages": {"type": "array", "items": {"$ref": "#/components/schemas/ArticlePassage"}},
            "query": {"type": "string"},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "story": {"type": "string", "description": "The article's story of wire copies (see Hit.story)."},
            "other_versions": {"type": "array", "items": {"$ref": "#/components/schemas/Version"},
                               "description": "Every other article of the story."},
        },
    },
    "RelatedArticle": {
        "type": "object",
        "required": ["article_id", "title", "url", "source", "published", "score", "close"],
        "properties": {
            "article_id": {"type": "string"},
            "title": {"type": "string"},
            "url": _NULLABLE_STRING,
            "source": _NULLABLE_STRING,
            "published": _NULLABLE_STRING,
            "score": {"type": "number", "minimum": 0,
                      "description": "Similarity as a share of the article's similarity to itself."},
            "close": {"type": "boolean",
                      "description": "Close coverage of the same story (listed first, newest first)."},
        },
    },
    "Related": {
        "type": "object",
        "required": ["article_id", "key_terms", "results", "took_ms"],
        "properties": {
            "article_id": {"type": "string"},
            "key_terms": {"type": "array", "items": {"type": "string"},
                          "description": "The words that characterise the article, most telling first."},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/RelatedArticle"}},
            "took_ms": {"type": "number", "minimum": 0},
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "articles", "passages", "generation"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "degraded"],
                       "description": "`degraded`: a node of the cluster does not answer (see `agents`); "
                                      "searches are answered from the others"},
            "articles": {"type": "integer", "minimum": 0},
            "passages": {"type": "integer", "minimum": 0},
            "generation": {"type": ["integer", "null"],
                           "description": "The Whoosh index's committed generation; null on a cluster"},
            "agents": {
                "type": "array",
                "description": "On a cluster (`NEWS_SEARCH_BACKEND=sphinxql`): each node, the head and every "
                               "copy of every shard, and whether it answers",
                "items": {"type": "object", "required": ["node", "indexes", "answers"],
                          "properties": {"node": {"type": "string"},
                                         "indexes": {"type": "array", "items": {"type": "string"}},
                                         "answers": {"type": "boolean"}},
                          "additionalProperties": False},
            },
        },
        "additionalProperties": False,
        "description": "Figures only: where the index lives is for `news-search stats`, not for every client.",
    },
}


def _param(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


SEARCH_PARAMETERS = [
    _param("q", "Query: words, \"phrases\", -excluded, AND/OR/NOT, (groups), title:/source:/section:, prefix*. "
                "Empty: every article, newest first.", {"type": "string", "maxLength": MAX_QUERY_CHARS}),
    _param("page", "Page of results, from 1.", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
    _param("per_page", "Results per page.",
           {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 10}),
    _param("from", "Earliest publication date, inclusive.", {"type": "string", "format": "date"}),
    _param("to", "Latest publication date, inclusive.", {"type": "string", "format": "date"}),
    _param("source", "Only articles from this source (case-insensitive).", {"type": "string", "maxLength": 200}),
    _param("sort", "Order; default relevance with a query, newest without.", {"type": "string", "enum": list(SORTS)}),
    _param("group", "One result per article (with its best passages) or per passage.",
           {"type": "string", "enum": list(GROUPS), "default": "article"}),
    _param("collapse", "story: one result per story of wire copies, the first in the order, listing the "
                       "others as other_versions (with group=passage, the passages of that article only); "
                       "none: every article.",
           {"type": "string", "enum": list(COLLAPSES), "default": "story"}),
    _param("recency", "A half-life in days: with sort=relevance, each score is multiplied by "
                      "0.5 ** (age / recency), age in days behind the newest match (undated: as old as the oldest). "
                      "Absent: off.",
           {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_RECENCY_DAYS}),
    _param("explain", "1 (or true): each result carries the components of its score (explanation).",
           {"type": "boolean", "default": False}),
]


def _body_property(parameter: dict) -> dict:
    """A search parameter as a property of the JSON body of ``POST /api/search``: the same schema, or null."""
    schema = dict(parameter["schema"])
    schema["type"] = [schema["type"], "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return {**schema, "description": parameter["description"]}


#: The body of ``POST /api/search``.
SEARCH_REQUEST = {
    "type": "object",
    "properties": {parameter["name"]: _body_property(parameter) for parameter in SEARCH_PARAMETERS},
    "additionalProperties": False,
    "description": "The parameters of GET /api/search as a JSON object: page and per_page as integers, "
                   "recency a number, explain true or false, the others as strings; null is the same as leaving "
                   "a parameter out.",
}


def _json(ref: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def openapi_document() -> dict:
    """The OpenAPI 3.1 document of the API."""
    error = _json("Error", "Error")
    wrong = _json("Error", "A parameter is wrong or unknown")
    article_id = {"name": "article_id", "in": "path", "required": True, "schema": {"type": "string"}}
    no_article = _json("Error", "No article has this id")
    too_busy = _json("Error", "Searches for many words at once (a prefix*, more than six words) have taken their "
                              "share of the service's time while others wait (code too_busy); try again after "
                              "the seconds the Retry-After header gives")
    unavailable = _json("Error", "No index has been built yet (code index_not_found), the index cannot be read "
                                 "(code index_damaged), or the search took longer than its time budget and was "
                                 "stopped (code search_timeout, with a Retry-After header)")
    return {
        "openapi": "3.1.0",
        "info": {"title": "News search API", "version": "1.0.0",
                 "description": "Ranked full-text search over news articles, with highlighted passages."},
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search articles",
                    "description": "A parameter not listed here is refused (400, code unknown_parameter), not ignored.",
                    "parameters": SEARCH_PARAMETERS,
                    "responses": {"200": _json("SearchResults", "A page of results"),
                                  "400": wrong, "429": too_busy, "503": unavailable},
                },
                "post": {
                    "operationId": "searchByBody",
                    "summary": "Search articles, the parameters in a JSON body",
                    "description": "The same search and answer as GET /api/search, for queries too long for a URL. "
                                   "Parameters go in the body only, none in the URL.",
                    "requestBody": {"required": True, "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/SearchRequest"}}}},
                    "responses": {"200": _json("SearchResults", "A page of results"),
                                  "400": _json("Error", "The body is not a JSON object, or a parameter is wrong "
                                                        "or unknown"),
                                  "413": _json("Error", f"The body is longer than {MAX_BODY_BYTES:,} bytes"),
                                  "415": _json("Error", "The body is not sent as application/json"),
                                  "429": too_busy, "503": unavailable},
                },
            },
            "/api/articles/{article_id}": {"get": {
                "operationId": "getArticle",
                "summary": "A whole article, optionally with a query's matches highlighted",
                "parameters": [
                    article_id,
                    _param("q", "Query whose matches to highlight.", {"type": "string", "maxLength": MAX_QUERY_CHARS}),
                ],
                "responses": {"200": _json("Article", "The article"), "400": wrong,
                              "404": no_article, "503": error},
            }},
            "/api/articles/{article_id}/related": {"get": {
                "operationId": "getRelated",
                "summary": "The other articles most like this one, without its own copies",
                "description": "Articles sharing the article's key terms, scored by whole-article BM25 (Whoosh's idf). "
                               "Close ones come first, newest first; then the others, most similar first.",
                "parameters": [
                    article_id,
                    _param("limit", "Related articles to return.",
                           {"type": "integer", "minimum": 1, "maximum": MAX_RELATED_LIMIT, "default": RELATED_LIMIT}),
                ],
                "responses": {"200": _json("Related", "The related articles"), "400": wrong,
                              "404": no_article, "503": error},
            }},
            "/search.atom": {"get": {
                "operationId": "searchFeed",
                "summary": "A search as an Atom feed, to follow it in a feed reader",
                "description": "The same parameters as /api/search, but newest first unless sort is given. "
                               "Each entry is an article, its best passage (highlighted) as the summary.",
                "parameters": [parameter if parameter["name"] != "sort" else
                               _param("sort", "Order; default newest.", {"type": "string", "enum": list(SORTS)})
                               for parameter in SEARCH_PARAMETERS],
                "responses": {
                    "200": {"description": "An Atom feed",
                            "content": {"application/atom+xml": {"schema": {"type": "string"}}}},
                    "400": {"description": "A parameter is wrong (an HTML page saying which)",
                            "content": {"text/html": {"schema": {"type": "string"}}}},
                    "503": {"description": "No index has been built yet (an HTML page)",
                            "content": {"text/html": {"schema": {"type": "string"}}}},
                },
            }},
            "/api/health": {"get": {
                "operationId": "health",
                "summary": "Whether the service is up, and what its index holds",
                "responses": {"200": _json("Health", "The index is open"),
                              "400": _json("Error", "A parameter was given (code unknown_parameter): it takes none"),
                              "503": _json("Error", "No index has been built yet (code index_not_found), or the "
                                                    "index cannot be read (code index_damaged)")},
            }},
            "/api/openapi.json": {"get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1 document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}},
                              "400": _json("Error", "A parameter was given (code unknown_parameter): it takes none")},
            }},
            "/metrics": {"get": {
                "operationId": "metrics",
                "summary": "The service's metrics, in Prometheus's text format",
                "description": "Requests by route and status, their latency, the results cache's hits and misses "
                               "(summed over every worker with PROMETHEUS_MULTIPROC_DIR), and what the index holds. "
                               "Answered even when the index is missing or damaged (news_search_index_up 0).",
                "responses": {"200": {"description": "Prometheus text format 0.0.4",
                                      "content": {"text/plain": {"schema": {"type": "string"}}}}},
            }},
        },
        "components": {"schemas": {**SCHEMAS, "SearchRequest": SEARCH_REQUEST}},
    }
