"""Thin DaVinci Resolve panels over the client SDK (next milestone; they import binsight_client only)."""
