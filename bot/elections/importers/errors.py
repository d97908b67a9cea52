"""The one error every importer raises: the message is what the user sees."""


class ImportFailed(RuntimeError):
    """The data could not be imported; the old database (if any) is untouched."""
