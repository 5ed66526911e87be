"""Read a tabular file (CSV/TSV, XLSX, Parquet, JSON lines) as text cells, in batches."""

from __future__ import annotations

import codecs
import copy
import csv
import io
import json
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from metrics.errors import CarePulseError

PARQUET_MAGIC = b"PAR1"
ZIP_MAGIC = b"PK\x03\x04"  # XLSX is a zip archive
DELIMITERS = (",", ";", "\t", "|")
EXCEL_TIME_DAYS = ("1899-12-30", "1899-12-31")  # Excel's day 0: a time-of-day-only cell
# A workbook is a zip of XML, which deflates about 5-20:1 (the PwC sample: 10:1). Far more, or
# more XML than fits in memory, is a zip bomb: refused from the zip's directory, before reading.
MAX_INFLATED_BYTES = 1 << 30
MAX_RATIO = 200
RATIO_FROM_BYTES = 1 << 20  # small members (styles, rels) may compress better
MAX_COLUMNS = 16_384  # Excel's limit
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Table:
    """A file's header row and its rows as text, with a 1-based `_row`, in batches."""

    headers: list[str]
    batches: Iterator[pl.DataFrame]
    notes: tuple[str, ...] = ()
    repeated: tuple[str, ...] = ()  # header names the file has more than once (CSV)


def file_format(head: bytes) -> str:
    """csv, xlsx, parquet or jsonl, from the first bytes."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"{") else "csv"


def text_problem(head: bytes) -> str | None:
    """Why the first bytes of a text format are not text CarePulse reads (UTF-16, binary)."""
    sample = head[:512]
    odd, even = sample[1::2].count(0), sample[0::2].count(0)  # ASCII as UTF-16: every other NUL
    if head.startswith(UTF16_BOMS) or (min(odd, even) == 0 and max(odd, even) > len(sample) // 4):
        return "is UTF-16 text; CarePulse reads UTF-8 (or Latin-1)"
    if b"\x00" in head:
        return "holds binary data (NUL bytes), not text"
    return None


def require_text(path: Path, head: bytes) -> None:
    """Raise when a file that should be text is UTF-16 or binary."""
    problem = text_problem(head)
    if problem:
        raise CarePulseError(
            f"{path.name}: {problem}",
            hint="Save the export as UTF-8 CSV (in Excel: Save As → CSV UTF-8); a workbook "
            "(XLSX) or Parquet file can be loaded as it is.",
        )


def check_workbook(path: Path) -> None:
    """Refuse a workbook that is no zip, or would inflate past the limits (a zip bomb).

    Each member is inflated once, in a stream, and counted: the sizes a zip declares can lie,
    and the workbook reader would inflate whatever the compressed data holds.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            total, worst = 0, (0.0, "")
            for member in archive.infolist():
                made, taken = _inflated(archive, member, MAX_INFLATED_BYTES - total)
                total += made
                if made >= RATIO_FROM_BYTES:
                    worst = max(worst, (made / max(taken, 1), member.filename))
                if total > MAX_INFLATED_BYTES or worst[0] > MAX_RATIO:
                    break
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        raise CarePulseError(
            f"{path.name}: not a readable XLSX workbook ({error})",
            hint="The file may be cut short: save it again from Excel, or as CSV.",
        ) from None
    if total > MAX_INFLATED_BYTES or worst[0] > MAX_RATIO:
        raise CarePulseError(
            f"{path.name}: refused: {worst[1] or 'the workbook'} inflates "
            f"{worst[0]:,.0f}:1, to {total / 2**20:,.0f} MiB or more; CarePulse reads workbooks "
            f"compressed at most {MAX_RATIO}:1 and up to {MAX_INFLATED_BYTES / 2**30:g} GiB",
            hint="This looks like a zip bomb. If the workbook is genuine, save it as CSV.",
        )


def _inflated(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: int) -> tuple[int, int]:
    """(bytes out, compressed bytes in) of a member, stopping past `limit` or a bomb's ratio."""
    if member.compress_type != zipfile.ZIP_DEFLATED:
        return member.file_size, member.compress_size
    raw = copy.copy(member)  # its compressed bytes as they are, whatever sizes it declares
    raw.compress_type, raw.file_size, raw.CRC = zipfile.ZIP_STORED, member.compress_size, None
    inflate, made, taken = zlib.decompressobj(-zlib.MAX_WBITS), 0, 0
    with archive.open(raw) as stream:
        while chunk := stream.read(1 << 16):
            taken += len(chunk)
            while chunk and made <= limit:
                made += len(inflate.decompress(chunk, 1 << 20))
                chunk = inflate.unconsumed_tail
            if made > limit or (made >= RATIO_FROM_BYTES and made > MAX_RATIO * taken):
                break
    return made, taken


def sniff_delimiter(first_line: str) -> str:
    """The most frequent of , ; tab | in the header line (comma when none)."""
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def csv_headers(head: bytes) -> list[str]:
    """The header row of a CSV file from its first bytes (empty for other formats)."""
    if file_format(head) != "csv":
        return []
    first = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").rstrip("\r")
    try:
        row = next(csv.reader([first], delimiter=sniff_delimiter(first)), [])
    except csv.Error:  # NUL bytes or a stray carriage return: not a CSV header
        return []
    return [h.strip() for h in row]


def _cell_text(cell: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A typed cell as text, the way a person would type it."""
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
        day = cell.dt.strftime("%Y-%m-%d")
        clock, full = cell.dt.strftime("%H:%M:%S"), cell.dt.strftime("%Y-%m-%d %H:%M:%S")
        return pl.when(day.is_in(EXCEL_TIME_DAYS)).then(clock).otherwise(full)
    if isinstance(dtype, pl.Datetime):
        return cell.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ")
    if dtype == pl.Duration:
        return cell.dt.total_microseconds().truediv(1e6).cast(pl.String)
    if dtype.is_float():
        # Whole numbers without ".0"; past 2**53 a float holds no exact integer anyway.
        whole = cell.is_finite() & (cell == cell.round()) & (cell.abs() < 2**53)
        return (
            pl.when(whole).then(cell.cast(pl.Int64).cast(pl.String)).otherwise(cell.cast(pl.String))
        )
    if isinstance(dtype, pl.Struct):
        return cell.struct.json_encode()
    if isinstance(dtype, pl.List | pl.Array):
        return pl.struct(cell.alias("v")).struct.json_encode().str.slice(5).str.head(-1)
    return cell.cast(pl.String)


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text (nested JSON values as JSON text)."""
    return frame.select(
        _cell_text(pl.col(name), dtype).alias(name) if dtype != pl.String else pl.col(name)
        for name, dtype in frame.schema.items()
    )


def _numbered(frames: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    start = 1
    for frame in frames:
        yield (
            as_text(frame)
            .with_row_index("_row", offset=start)
            .with_columns(pl.col("_row").cast(pl.Int64))
        )
        start += frame.height


def _slices(frame: pl.DataFrame, rows: int) -> Iterator[pl.DataFrame]:
    for offset in range(0, max(frame.height, 1), rows):
        yield frame.slice(offset, rows)


def _undecodable(path: Path) -> int:
    """How many characters of the file are not valid UTF-8 (0 for a UTF-8 file)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    bad = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            bad += decoder.decode(block).count("\ufffd")
    return bad + decoder.decode(b"", final=True).count("\ufffd")


def text_of(path: Path) -> tuple[str, tuple[str, ...]]:
    """The whole file as text: UTF-8, or Latin-1 with a note of how many characters were not."""
    require_text(path, path.open("rb").read(65536))
    bad = _undecodable(path)
    if not bad:
        return path.read_text(encoding="utf-8-sig"), ()
    return path.read_bytes().decode("latin-1"), (_latin1_note(path, bad),)


def _latin1_note(path: Path, bad: int) -> str:
    characters = "1 character was" if bad == 1 else f"{bad:,} characters were"
    return f"{path.name}: {characters} not UTF-8; the file was read as Latin-1"


def long_record(text: str, *, separator: str, width: int) -> tuple[int, int] | None:
    """The first record with more than `width` cells: (the line it ends on, its cells)."""
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    try:
        for row in reader:
            if len(row) > width:
                return reader.line_num, len(row)
    except csv.Error:  # quoting Python's reader rejects: say what Polars said instead
        return None
    return None


def _unreadable(path: Path, separator: str, width: int, error: Exception) -> CarePulseError:
    found = long_record(text_of(path)[0], separator=separator, width=width)
    if found:
        line, cells = found
        return CarePulseError(
            f"{path.name}: line {line} has {cells} cells; the header has {width}",
            hint="Quote cells that hold the delimiter, or remove the extra cells.",
        )
    opened = _open_quote(path, separator, width)
    where = f"a quote opened on line {opened} does not close" if opened else None
    return CarePulseError(
        f"{path.name}: cannot read the CSV ({where or str(error).splitlines()[0]})",
        hint="Check the file's quoting, or save it again as CSV.",
    )


def _guarded(
    frames: Iterator[pl.DataFrame], path: Path, separator: str, width: int
) -> Iterator[pl.DataFrame]:
    try:
        yield from frames
    except pl.exceptions.ComputeError as error:
        raise _unreadable(path, separator, width, error) from None


def _csv(path: Path, *, batch_rows: int, delimiter: str | None) -> Table:
    require_text(path, path.open("rb").read(65536))
    bad = _undecodable(path)
    notes: tuple[str, ...] = ()
    if bad:
        data: Path | io.BytesIO = io.BytesIO(path.read_bytes().decode("latin-1").encode())
        notes = (_latin1_note(path, bad),)
    else:
        data = path
    with open(path, encoding="latin-1") as handle:  # latin-1 never fails on the header line
        first = handle.readline().lstrip("\ufeff").lstrip("ï»¿")
    separator = delimiter or sniff_delimiter(first)
    if first.count(separator) >= MAX_COLUMNS:  # Polars would build them all before failing
        raise CarePulseError(
            f"{path.name}: line 1 has more than {MAX_COLUMNS:,} fields, more than any "
            "spreadsheet holds; this is not a table with a header row",
            hint="Check that the file is the export, with one header row and a line per record.",
        )
    options = dict(separator=separator, infer_schema=False, quote_char='"')
    if isinstance(data, Path):
        scan = pl.scan_csv(data, encoding="utf8", **options)
        headers = scan.collect_schema().names()
        batches = scan.collect_batches(chunk_size=batch_rows)
        guarded = _guarded(batches, path, separator, len(headers))
        return Table(headers, _numbered(guarded), notes, _repeated(first, separator))
    try:
        frame = pl.read_csv(data, **options)
    except pl.exceptions.ComputeError as error:
        width = len(next(csv.reader([first.rstrip("\r\n")], delimiter=separator), []))
        raise _unreadable(path, separator, width, error) from None
    batches = _numbered(_slices(frame, batch_rows))
    return Table(frame.columns, batches, notes, _repeated(first, separator))


def _repeated(first_line: str, separator: str) -> tuple[str, ...]:
    """Header names that appear more than once (Polars renames the later ones)."""
    try:
        names = next(csv.reader([first_line.rstrip("\r\n")], delimiter=separator), [])
    except csv.Error:
        return ()
    return tuple(dict.fromkeys(n for n in names if names.count(n) > 1))


def _open_quote(path: Path, separator: str, width: int) -> int | None:
    """The line a quoted field opens on and never closes (it swallows the lines after it)."""
    with path.open(encoding="latin-1", newline="") as handle:
        rows = csv.reader(handle, delimiter=separator, strict=True)
        start = 1
        try:
            for row in rows:
                if len(row) != width and any("\n" in cell for cell in row):
                    return start
                start = rows.line_num + 1
        except csv.Error as error:  # strict: the file may end inside the quote
            return start if "unexpected end of data" in str(error) else None
    return None


def _not_a_table(path: Path, error: pl.exceptions.PolarsError) -> CarePulseError:
    head = path.open("rb").read(65536)
    if file_format(head) == "csv":
        first = head.split(b"\n", 1)[0].decode("latin-1")
        separator = sniff_delimiter(first)
        return _unreadable(path, separator, len(csv_headers(head)), error)
    detail = str(error).strip().splitlines()[0][:200]
    return CarePulseError(
        f"{path.name}: cannot be read as a table ({detail})",
        hint="Check that every row has the header's number of fields and that a quoted field "
        "closes its quote, or export the file again.",
    )


def _read_guarded(path: Path, batches: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    try:
        yield from batches
    except pl.exceptions.PolarsError as error:
        raise _not_a_table(path, error) from None


def read(
    path: Path, *, batch_rows: int, delimiter: str | None = None, sheet: str | None = None
) -> Table:
    """The file's rows as text cells; a file Polars cannot parse raises a CarePulseError."""
    try:
        table = _read(path, batch_rows=batch_rows, delimiter=delimiter, sheet=sheet)
    except pl.exceptions.PolarsError as error:
        raise _not_a_table(path, error) from None
    return Table(table.headers, _read_guarded(path, table.batches), table.notes, table.repeated)


def _read(
    path: Path, *, batch_rows: int, delimiter: str | None = None, sheet: str | None = None
) -> Table:
    """The file's rows as text cells; the format is recognised from the content."""
    head = path.open("rb").read(4096)
    kind = file_format(head)
    if kind == "csv":
        return _csv(path, batch_rows=batch_rows, delimiter=delimiter)
    if kind == "xlsx":
        frame = _excel(path, sheet)
        return Table(frame.columns, _numbered(_slices(frame, batch_rows)))
    if kind == "parquet":
        scan = pl.scan_parquet(path)
    else:  # types from every line, as for XLSX: a later "n/a" must not fail the file
        scan = pl.scan_ndjson(path, infer_schema_length=None)
    headers = scan.collect_schema().names()
    return Table(headers, _numbered(scan.collect_batches(chunk_size=batch_rows)))


def _excel(path: Path, sheet: str | None) -> pl.DataFrame:
    check_workbook(path)
    # Types from every row: with the default 100, later text in a number column reads as null.
    every = dict(infer_schema_length=None)
    try:
        if sheet is None:
            return pl.read_excel(path, sheet_id=1, **every)
        return pl.read_excel(path, sheet_name=sheet, **every)
    except (ValueError, pl.exceptions.PolarsError, fastexcel.FastExcelError) as error:
        raise CarePulseError(
            f"{path.name}: cannot read the workbook ({str(error).splitlines()[0]})",
            hint="Check the sheet name in the mapping ([source] sheet = ...), or save as CSV.",
        ) from error


def json_objects(text: str) -> Iterator[tuple[int, dict]]:
    """Each JSON object with its line number: NDJSON, an array, or objects back to back."""
    decoder, position = json.JSONDecoder(), 0
    while True:
        while position < len(text) and text[position] in " \t\r\n,[]":
            position += 1
        if position >= len(text):
            return
        line = text.count("\n", 0, position) + 1
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise CarePulseError(
                f"the record starting at line {line} is broken JSON "
                f"(line {error.lineno}, column {error.colno}: {error.msg})",
                hint="Export the records again; each must be a complete JSON object.",
            ) from None
        if isinstance(value, dict):
            yield line, value
