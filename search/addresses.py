"""The service's own address: which ``Host`` it answers for, and the absolute links it writes.

A request's ``Host`` header is whatever the client sent. Absolute links (the Atom feed's ids and
links) built from it would point wherever a client liked, and a shared cache would keep them for
everyone. So, as Django's ``ALLOWED_HOSTS`` does:

* ``NEWS_SEARCH_BASE_URL`` (``https://news.example.org``, or with the path the service is mounted
  at) is the service's public address: every absolute link is built from it, whatever ``Host`` says;
* ``NEWS_SEARCH_TRUSTED_HOSTS`` (a JSON list, ``["news.example.org", ".example.org"]``, a leading dot
  for every subdomain, as Flask's ``TRUSTED_HOSTS``) names the hosts the service answers for; any
  other ``Host`` gets a 400 (:func:`check_host`, before the request is routed);
* with neither, the service answers only for this machine's loopback names (``localhost``,
  ``127.0.0.1``, ``::1``), as a service tried out on a laptop is reached.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from werkzeug.exceptions import BadRequest

from index.errors import BadConfiguration

#: The hosts answered when no public address and no trusted hosts are configured.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def configure(config: MutableMapping) -> None:
    """Check ``BASE_URL`` and ``TRUSTED_HOSTS`` in *config* and settle the defaults described above.

    >>> config = {"BASE_URL": "https://news.example.org/archive/", "TRUSTED_HOSTS": None}
    >>> configure(config); config["BASE_URL"], config["ANSWERED_HOSTS"]
    ('https://news.example.org/archive', None)
    >>> configure({"BASE_URL": "news.example.org"})
    Traceback (most recent call last):
    ...
    index.errors.BadConfiguration: NEWS_SEARCH_BASE_URL must be an http or https address such as https://news.example.org; got 'news.example.org'
    """
    config["BASE_URL"] = base_url(config.get("BASE_URL"))
    hosts = config.get("TRUSTED_HOSTS")
    if hosts is not None and (isinstance(hosts, str) or not all(isinstance(host, str) and host for host in hosts)):
        raise BadConfiguration("NEWS_SEARCH_TRUSTED_HOSTS must be a JSON list of host names, "
                               f'such as ["news.example.org"]; got {hosts!r}')
    if hosts is None and config["BASE_URL"] is None:
        hosts = list(LOOPBACK_HOSTS)
    # Checked by check_host, before routing, rather than by Flask: a host Flask refuses leaves the
    # request without URLs to build, so not even the error page could be drawn.
    config["ANSWERED_HOSTS"] = None if hosts is None else list(hosts)
    config["TRUSTED_HOSTS"] = None


def base_url(value: object) -> str | None:
    """*value* as a public address without a trailing slash, ``None`` when unset.

    :raises BadConfiguration: when it is not an absolute http(s) address without query or fragment.
    """
    if value is None or value == "":
        return None
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise BadConfiguration("NEWS_SEARCH_BASE_URL must be an http or https address such as "
                               f"https://news.example.org; got {value!r}")
    return str(value).rstrip("/")


def absolute_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` as an absolute link: under the configured public address when
    there is one, else under the (trusted) host the request came to."""
    base = current_app.config["BASE_URL"]
    if base is None:
        return url_for(endpoint, _external=True, **values)
    path = url_for(endpoint, **values)
    root = request.script_root
    if root and path.startswith(root + "/"):
        path = path[len(root):]
    return base + path


def check_host() -> None:
    """Refuse a request whose ``Host`` the service does not answer for (a ``before_request`` hook).

    :raises BadRequest: naming the hosts it answers for, never echoing the one sent.
    """
    hosts = current_app.config["ANSWERED_HOSTS"]
    if hosts is None:
        return
    sent = request.environ.get("HTTP_HOST") or request.environ.get("SERVER_NAME", "")
    if not is_answered(host_name(sent), hosts):
        raise BadRequest(f"This service does not answer for that host; it answers for {', '.join(hosts)}. "
                         "Its operator sets NEWS_SEARCH_BASE_URL (the public address) or NEWS_SEARCH_TRUSTED_HOSTS.")


def is_answered(name: str, hosts: list[str]) -> bool:
    """Whether the host *name* (no port) is one of *hosts*, where ``.example.org`` stands for that
    domain and every subdomain of it.

    >>> is_answered("www.example.org", [".example.org"]), is_answered("::1", ["::1"]), is_answered("x.org", [])
    (True, True, False)
    """
    name = name.lower().rstrip(".")
    for host in hosts:
        host = host.lower().strip("[]")
        if name == host.lstrip(".") or (host.startswith(".") and name.endswith(host)):
            return True
    return False


def host_name(host: str) -> str:
    """*host* without its port: ``[::1]:5000`` is ``::1``, ``news.example.org:80`` is ``news.example.org``.

    >>> host_name("[::1]:5000"), host_name("news.example.org:80"), host_name("localhost")
    ('::1', 'news.example.org', 'localhost')
    """
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if ":" in host else host
