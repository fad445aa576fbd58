"""Binsight: sorts footage into scene and character bins. The core (media, embedders, faces,
store, clustering, exporters) is plain Python; ``binsight.service`` adapts it to gRPC."""

__version__ = "0.1.0"
