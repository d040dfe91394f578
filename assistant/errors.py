"""Typed errors of the library; front ends turn them into one-line messages."""


class AssistantError(Exception):
    """Base class of every error the assistant reports to a user."""


class DocumentError(AssistantError):
    """A document or the catalog cannot be read."""


class ModelError(AssistantError):
    """The embedding model cannot be built or loaded."""


class QueryError(AssistantError):
    """A query cannot be answered as asked (empty, or a filter that matches nothing)."""


class IndexProblem(AssistantError):
    """The index folder cannot be used as it is."""


class IndexMissing(IndexProblem):
    """No index has been built in the folder yet."""


class IndexDamaged(IndexProblem):
    """A file of the index is unreadable or inconsistent with the others."""


class IndexMismatch(IndexProblem):
    """The index was built by another model or parser than the one asked for."""
