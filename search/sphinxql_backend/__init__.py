"""The SphinxQL backend: a search engine spoken to in SphinxQL over the MySQL protocol.

Production runs Manticore Search; here and in continuous integration it is Debian's ``sphinxsearch``
2.2.11, which speaks the same SphinxQL for everything the backend asks of it. The package holds the
machinery of a local cluster of such servers, on loopback:

* :mod:`~search.sphinxql_backend.config` -- the cluster map (:class:`~search.sphinxql_backend.config.Cluster`,
  its shards, copies and nodes), ``cluster.json``, each node's ``searchd`` config and the RT index schema;
* :mod:`~search.sphinxql_backend.connection` -- SphinxQL connections that give up in time, and readable
  error messages;
* :mod:`~search.sphinxql_backend.cluster` -- the ``searchd`` processes: starting and stopping nodes and
  whole clusters, waiting until they answer, and their status.

Importing the package loads none of its modules, nor the MySQL-protocol client they use; nothing in the
service imports it, so a web worker of the Whoosh backend never loads it.
"""
