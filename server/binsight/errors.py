"""Errors the core raises. Each carries a kind that the service layer maps to a gRPC status, so
the core never needs to know about gRPC and a person always gets a message they can act on."""

from __future__ import annotations


class BinsightError(Exception):
    """Base of every error the core reports to a user."""

    kind = "internal"


class InvalidInput(BinsightError):
    """The request itself is wrong (bad path, not a video, unknown format)."""

    kind = "invalid_argument"


class NotFound(BinsightError):
    """A named thing (media, shot, cluster, job, keyframe) does not exist."""

    kind = "not_found"


class Conflict(BinsightError):
    """The request contradicts stored state (locked cluster, stale id)."""

    kind = "failed_precondition"


class Unavailable(BinsightError):
    """A model or resource the request needs is not installed or not reachable."""

    kind = "unavailable"


class Cancelled(BinsightError):
    """A job was cancelled by its owner."""

    kind = "cancelled"


class PermissionDenied(BinsightError):
    """The caller may not do this (outside the media roots, a read-only token)."""

    kind = "permission_denied"


class Unauthenticated(BinsightError):
    """The call needs a valid token."""

    kind = "unauthenticated"
