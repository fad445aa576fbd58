"""Generated gRPC/protobuf code for binsight.v1 (proto/generate.py). Do not edit."""
