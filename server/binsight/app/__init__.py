"""The application services: one module per proto service (ingest, clusters, feedback, search,
compare, export, system), plus the read views they share, composed by ``project.Project``.
Plain Python: nothing here knows gRPC; the servicers in ``binsight.service`` adapt each service
to its RPCs, and the review page calls the same services."""
