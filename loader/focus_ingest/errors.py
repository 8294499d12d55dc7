"""Errors that end a run or a data source with a message for a person, never a traceback."""

from __future__ import annotations


class FocusIngestError(Exception):
    """An error whose message says what went wrong and what to do about it."""


class ConfigError(FocusIngestError):
    """The command line or the config file asks for something impossible."""


class SourceError(FocusIngestError):
    """A data source cannot be used this run (access denied, no bucket, no billing periods…).

    The other data sources still run; this one is reported as failed and retried next run.
    """


class TransientFileError(FocusIngestError):
    """A file could not be fetched this time (network, throttling, changed while read).

    The file is not recorded as processed, so the next run reads it again.
    """
