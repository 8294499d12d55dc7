"""The store behind a data source: an S3 prefix or a local folder.

Apart from `focus_ingest.stores` because the S3 store is built on that interface (`focus_ingest.s3_access` imports it),
so the choice between the two cannot live there without an import cycle.
"""

from __future__ import annotations

from pathlib import Path

from focus_ingest.settings import DataSource
from focus_ingest.stores import LocalFolderStore, Store


def open_store(source: DataSource, work_dir: Path, concurrent_fetches: int = 1) -> Store:
    """The store behind a data source.

    `concurrent_fetches` is how many `fetch` calls the caller may run at once (from as many threads).
    """
    if source.is_s3:
        # Imported here, not above, for start-up time only: boto3 costs every command about half a second
        # (`python -X importtime`), and local folders and `status` never need it.
        from focus_ingest.s3_access import S3Store

        return S3Store(source, work_dir, concurrent_fetches)
    return LocalFolderStore(Path(source.location))
