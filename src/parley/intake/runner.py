"""Run extraction over many sources: in this process, in N worker processes, or on a Dask cluster.

Work is cut into chunks of sources; each worker builds the spaCy pipeline once (cached per
gazetteer) and runs `nlp.pipe` over its chunk. Results come back in input order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from parley.intake.extract import add_cross_source_warnings, extract_many
from parley.intake.gazetteer import Gazetteer, default_gazetteer
from parley.intake.records import Extraction, SourceInfo
from parley.intake.sources import Source

Progress = Callable[[int], None]
Item = tuple[str, SourceInfo]


def _chunks(items: Sequence[Item], size: int) -> list[list[Item]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def extract_chunk(
    items: list[Item], gazetteer_data: dict[str, Any] | None = None
) -> list[Extraction]:
    """Worker entry point (module level so it pickles for processes and Dask)."""
    gazetteer = (
        Gazetteer.from_dict(gazetteer_data) if gazetteer_data is not None else default_gazetteer()
    )
    return extract_many(items, gazetteer)


def _warm(gazetteer_data: dict[str, Any] | None) -> None:
    extract_chunk([("Warm-up.", SourceInfo())], gazetteer_data)


def run_intake(
    sources: Sequence[Source] | Sequence[Item],
    *,
    gazetteer: Gazetteer | None = None,
    workers: int = 1,
    dask: str | Any | None = None,
    chunk_size: int = 8,
    progress: Progress | None = None,
    cross_source: bool = True,
) -> list[Extraction]:
    """Extract every source; `dask` is a scheduler address or a `distributed.Client`.

    With `cross_source`, amounts that disagree between sources about the same pledge are added
    to the warnings of both.
    """
    items: list[Item] = [(s.text, s.info) if isinstance(s, Source) else s for s in sources]
    gz = gazetteer or default_gazetteer()
    data = gz.to_dict()
    if dask is not None:
        results = _run_dask(items, data, dask, chunk_size, progress)
    elif workers > 1 and len(items) > 1:
        results = _run_processes(items, data, workers, chunk_size, progress)
    else:
        results = []
        for chunk in _chunks(items, chunk_size):
            results.extend(extract_many(chunk, gz))
            if progress:
                progress(len(chunk))
    if cross_source:
        add_cross_source_warnings(results)
    return results


def _run_processes(
    items: list[Item],
    data: dict[str, Any],
    workers: int,
    chunk_size: int,
    progress: Progress | None,
) -> list[Extraction]:
    chunks = _chunks(items, chunk_size)
    out: list[list[Extraction] | None] = [None] * len(chunks)
    workers = max(1, min(workers, len(chunks), os.cpu_count() or workers))
    with ProcessPoolExecutor(max_workers=workers, initializer=_warm, initargs=(data,)) as pool:
        futures = {pool.submit(extract_chunk, chunk, data): i for i, chunk in enumerate(chunks)}
        for future in as_completed(futures):
            i = futures[future]
            out[i] = future.result()
            if progress:
                progress(len(chunks[i]))
    return [r for chunk in out if chunk is not None for r in chunk]


def _run_dask(
    items: list[Item],
    data: dict[str, Any],
    dask: str | Any,
    chunk_size: int,
    progress: Progress | None,
) -> list[Extraction]:
    from distributed import Client
    from distributed import as_completed as dask_completed

    client = Client(dask) if isinstance(dask, str) else dask
    try:
        chunks = _chunks(items, chunk_size)
        futures = client.map(extract_chunk, chunks, gazetteer_data=data, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        out: list[list[Extraction] | None] = [None] * len(chunks)
        for future in dask_completed(futures):
            i = index[future.key]
            out[i] = future.result()
            if progress:
                progress(len(chunks[i]))
        return [r for chunk in out if chunk is not None for r in chunk]
    finally:
        if isinstance(dask, str):
            client.close()
