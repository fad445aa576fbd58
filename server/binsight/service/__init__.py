"""The gRPC layer: thin servicers that translate between protobuf messages and the plain-Python
``Project`` core. Nothing below ``binsight.service`` knows about gRPC."""
