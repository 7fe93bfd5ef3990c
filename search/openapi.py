"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``.

Its schemas are JSON Schema 2020-12, so tests validate real responses against them.
"""

from __future__ import annotations

from search.params import GROUPS, MAX_PAGE, MAX_PER_PAGE, MAX_QUERY_CHARS, SORTS

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
        "required": ["article_id", "title", "url", "source", "published", "score", "passages"],
        "properties": {
            "article_id": {"type": "string"},
            "title": {"type": "string"},
            "url": _NULLABLE_STRING,
            "source": _NULLABLE_STRING,
            "published": {**_NULLABLE_STRING, "description": "ISO 8601 date or date-time."},
            "score": {"type": "number"},
            "passages": {"type": "array", "items": {"$ref": "#/components/schemas/PassageHit"}},
        },
    },
    "FacetCount": {
        "type": "object",
        "required": ["value", "count"],
        "properties": {"value": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
    },
    "SearchResults": {
        "type": "object",
        "required": ["query", "total", "page", "pages", "per_page", "sort", "took_ms", "warnings", "results",
                     "facets", "suggestion"],
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0, "description": "Articles (group=article) or passages."},
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "sort": {"type": "string", "enum": list(SORTS), "description": "The order actually used."},
            "group": {"type": "string", "enum": list(GROUPS)},
            "took_ms": {"type": "number", "minimum": 0},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": {
                "type": "object",
                "required": ["source", "published"],
                "properties": {
                    "source": {"type": "array", "items": {"$ref": "#/components/schemas/FacetCount"}},
                    "published": {"type": "array", "items": {"$ref": "#/components/schemas/FacetCount"},
                                  "description": "Counts by month, YYYY-MM."},
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
                     "passages", "query", "warnings"],
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
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "articles", "passages", "generation"],
        "properties": {
            "status": {"type": "string", "enum": ["ok"]},
            "articles": {"type": "integer", "minimum": 0},
            "passages": {"type": "integer", "minimum": 0},
            "generation": {"type": "integer"},
            "index_dir": {"type": "string"},
        },
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
]


def _json(ref: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def openapi_document() -> dict:
    """The OpenAPI 3.1 document of the API."""
    error = _json("Error", "Error")
    return {
        "openapi": "3.1.0",
        "info": {"title": "News search API", "version": "1.0.0",
                 "description": "Ranked full-text search over news articles, with highlighted passages."},
        "paths": {
            "/api/search": {"get": {
                "operationId": "search",
                "summary": "Search articles",
                "parameters": SEARCH_PARAMETERS,
                "responses": {"200": _json("SearchResults", "A page of results"),
                              "400": _json("Error", "A parameter is wrong"),
                              "503": _json("Error", "No index has been built yet")},
            }},
            "/api/articles/{article_id}": {"get": {
                "operationId": "getArticle",
                "summary": "A whole article, optionally with a query's matches highlighted",
                "parameters": [
                    {"name": "article_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    _param("q", "Query whose matches to highlight.", {"type": "string", "maxLength": MAX_QUERY_CHARS}),
                ],
                "responses": {"200": _json("Article", "The article"), "400": error,
                              "404": _json("Error", "No article has this id"), "503": error},
            }},
            "/api/health": {"get": {
                "operationId": "health",
                "summary": "Whether the service is up, and what its index holds",
                "responses": {"200": _json("Health", "The index is open"), "503": error},
            }},
            "/api/openapi.json": {"get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1 document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
        },
        "components": {"schemas": SCHEMAS},
    }
