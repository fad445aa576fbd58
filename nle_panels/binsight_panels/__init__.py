"""Binsight panels for NLEs: thin windows over the client SDK (``binsight_client``) that never
import the server. ``binsight_panels.resolve`` is the DaVinci Resolve Studio panel."""
