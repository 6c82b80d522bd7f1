"""Writing results: JSON-safe values and licensed Parquet files.

Everything the library writes for people or machines passes through here, so
that NaN never reaches JSON and every file carries its licence.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Licence of the results this library writes (DESIGN.md "Open data").
RESULTS_LICENCE = "CC-BY-4.0"


def json_safe(value: Any) -> Any:
    """Plain JSON data: NaN/inf -> None, numpy scalars -> Python, tuples -> lists.

    Timestamps become ISO 8601 strings; mappings get string keys.
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def write_parquet(frame: pd.DataFrame, path: Path, licence: str = RESULTS_LICENCE) -> Path:
    """Write a time-indexed frame to Parquet with the index named ``time_utc``.

    The licence is stored in the Parquet schema metadata (key ``licence``).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = frame.copy()
    data.index = data.index.rename("time_utc")
    table = pa.Table.from_pandas(data)
    meta = dict(table.schema.metadata or {})
    meta[b"licence"] = licence.encode()
    pq.write_table(table.replace_schema_metadata(meta), path)
    return path
