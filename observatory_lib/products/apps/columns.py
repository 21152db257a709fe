"""Arrow IPC files that a visitor's kernel reads with numpy alone, memory-mapped.

The apps' prepared tables are Arrow IPC files (Feather v2, uncompressed, one record batch):
analysts open them with ``pyarrow`` or ``pandas.read_feather``. A visitor's Voila kernel must
stay small, and importing pyarrow costs a kernel about 60 MiB of memory, so the kernel never
imports it: when the tables are written, pyarrow reports where each column's buffers lie in
the file (``column_layout``), and the kernel maps exactly those bytes with ``numpy.memmap``
(``MappedTable``). The pages are the operating system's page cache, shared by every kernel.

Only what numpy can map is allowed: fixed-width numbers without nulls (missing numbers are
NaN), dictionary-encoded strings (the indices are mapped, the dictionary is kept in the
layout) and plain UTF-8 strings (offsets and bytes mapped, decoded one row at a time). The
writer checks that the mapped arrays equal what pyarrow reads (``verify_layout``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Arrow type names -> numpy dtypes (little-endian, as Arrow writes them).
NUMPY_TYPES = {
    "int8": "<i1",
    "int16": "<i2",
    "int32": "<i4",
    "int64": "<i8",
    "uint8": "<u1",
    "float": "<f4",
    "double": "<f8",
}


def column_layout(path: Path) -> dict:
    """Where each column of an Arrow IPC file lies, for ``MappedTable`` (needs pyarrow).

    Returns:
        ``{"rows": n, "columns": {name: {...}}}``; a numeric column has ``kind`` "number",
        ``dtype`` and ``offset``; a dictionary column ``kind`` "dictionary", the indices'
        ``dtype`` and ``offset`` and the ``dictionary`` values; a string column ``kind``
        "string", ``offsets_at`` and ``data_at`` (byte positions) and ``data_length``.

    Raises:
        ValueError: a column has nulls, several chunks, or a type numpy cannot map.
    """
    import pyarrow as pa

    with pa.memory_map(str(path)) as source:
        whole = source.read_buffer()
        source.seek(0)
        table = pa.ipc.open_file(source).read_all()
        base = whole.address
        columns = {}
        for name in table.column_names:
            column = table.column(name)
            if column.num_chunks != 1 or column.null_count:
                raise ValueError(f"{path.name}: column {name!r} must be one chunk without nulls")
            columns[name] = _layout_of(column.chunk(0), base, f"{path.name}:{name}")
    return {"rows": table.num_rows, "columns": columns}


def _layout_of(array, base: int, where: str) -> dict:
    import pyarrow as pa

    kind = array.type
    if array.offset:
        raise ValueError(f"{where}: a sliced array cannot be mapped")
    if pa.types.is_dictionary(kind):
        indices = array.indices
        return {
            "kind": "dictionary",
            "dtype": NUMPY_TYPES[str(indices.type)],
            "offset": indices.buffers()[1].address - base,
            "dictionary": array.dictionary.to_pylist(),
        }
    if pa.types.is_string(kind):
        _, offsets, data = array.buffers()
        return {
            "kind": "string",
            "offsets_at": offsets.address - base,
            "data_at": data.address - base if data is not None else 0,
            "data_length": data.size if data is not None else 0,
        }
    if str(kind) in NUMPY_TYPES:
        return {
            "kind": "number",
            "dtype": NUMPY_TYPES[str(kind)],
            "offset": array.buffers()[1].address - base,
        }
    raise ValueError(f"{where}: type {kind} cannot be mapped by numpy")


class MappedTable:
    """An Arrow IPC file's columns as read-only numpy arrays mapped from the file.

    Args:
        path: the ``.arrow`` file.
        layout: its ``column_layout`` (kept in the app data's manifest).
    """

    def __init__(self, path: Path, layout: dict):
        self.path = Path(path)
        self.rows = int(layout["rows"])
        self.layout = layout["columns"]
        self._cache: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return self.rows

    def array(self, name: str) -> np.ndarray:
        """A numeric column, or a dictionary column's indices (int codes)."""
        if name not in self._cache:
            spec = self.layout[name]
            if spec["kind"] == "string":
                raise TypeError(f"{name} is a string column: use text(name, row)")
            self._cache[name] = self._map(spec["dtype"], spec["offset"], self.rows)
        return self._cache[name]

    def dictionary(self, name: str) -> list:
        """The values of a dictionary column (``array(name)`` holds indices into them)."""
        return self.layout[name]["dictionary"]

    def text(self, name: str, row: int) -> str:
        """One row of a string column."""
        spec = self.layout[name]
        key = f"{name}#offsets"
        if key not in self._cache:
            self._cache[key] = self._map("<i4", spec["offsets_at"], self.rows + 1)
        offsets = self._cache[key]
        start, stop = int(offsets[row]), int(offsets[row + 1])
        if stop == start:
            return ""
        data = self._map("u1", spec["data_at"] + start, stop - start)
        return bytes(data).decode("utf-8")

    def records(self, rows) -> list[dict]:
        """The rows (positions) as dicts of every column: dictionary columns decoded, integers
        as int, other numbers as float, a missing number (NaN) as None."""
        decoded = {}
        for name, spec in self.layout.items():
            if spec["kind"] == "string":
                decoded[name] = [self.text(name, int(row)) for row in rows]
                continue
            values = self.array(name)[rows]
            if spec["kind"] == "dictionary":
                decoded[name] = [self.dictionary(name)[int(i)] for i in values]
            elif values.dtype.kind == "f":
                decoded[name] = [None if np.isnan(v) else float(v) for v in values]
            else:
                decoded[name] = [int(v) for v in values]
        return [
            dict(zip(decoded, cells, strict=True)) for cells in zip(*decoded.values(), strict=True)
        ]

    def _map(self, dtype: str, offset: int, count: int) -> np.ndarray:
        if count == 0:
            return np.zeros(0, dtype=dtype)
        return np.memmap(self.path, dtype=dtype, mode="r", offset=int(offset), shape=(count,))


def verify_layout(path: Path, layout: dict) -> None:
    """Check that every column mapped by numpy equals what pyarrow reads.

    Raises:
        ValueError: naming the first column that differs.
    """
    import pyarrow as pa

    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    mapped = MappedTable(path, layout)
    for name, spec in layout["columns"].items():
        column = table.column(name).chunk(0)
        if spec["kind"] == "dictionary":
            expected = column.indices.to_numpy(zero_copy_only=False)
            same = np.array_equal(mapped.array(name), expected)
            same = same and mapped.dictionary(name) == column.dictionary.to_pylist()
        elif spec["kind"] == "string":
            values = column.to_pylist()
            rows = range(0, len(values), max(1, len(values) // 50))
            same = all(mapped.text(name, row) == values[row] for row in rows)
        else:
            expected = column.to_numpy(zero_copy_only=False)
            same = np.array_equal(mapped.array(name), expected, equal_nan=True)
        if not same:
            raise ValueError(f"{path.name}: the mapped column {name!r} differs from pyarrow's")
