"""The Binsight wire API (generated from proto/binsight/v1); versioned by sub-package."""
