"""Rows of measurements shown as a table in Jupyter, Colab and on the site."""

from __future__ import annotations

from typing import Any


class Table:
    """Rows of measurements that Jupyter, Colab and the site show as a table."""

    def __init__(self, rows: list[dict[str, Any]], percent: tuple[str, ...]) -> None:
        self.rows, self.percent = rows, percent

    def _cell(self, column: str, value: Any) -> str:
        if value is None:
            return "–"
        if isinstance(value, bool):  # before int: True is an int in Python
            return "yes" if value else "no"
        if isinstance(value, float):
            return f"{value:.1%}" if column in self.percent else f"{value:,.3g}"
        return f"{value:,}" if isinstance(value, int) else str(value)

    def _repr_markdown_(self) -> str:
        columns = list(self.rows[0])
        header = (str(c).replace("|", "\\|") for c in columns)  # |h| is not a cell edge
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(columns)]
        for row in self.rows:
            cells = (self._cell(c, row.get(c)).replace("|", "\\|") for c in columns)
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return self._repr_markdown_()


def table(rows: list[dict[str, Any]], percent: tuple[str, ...] = ()) -> Table:
    """Show ``rows`` (dicts with the same keys) as a table; ``percent`` columns as %.

    Floats keep three significant digits, integers get thousands separators, and
    booleans read "yes" or "no".

    >>> print(table([{"tokenizer": "char", "tokens": 1234, "OOV rate": 0.0123}],
    ...             percent=("OOV rate",)))
    | tokenizer | tokens | OOV rate |
    |---|---|---|
    | char | 1,234 | 1.2% |
    """
    if not isinstance(rows, (list, tuple)):
        raise TypeError(f"rows must be a list of dicts, got {type(rows).__name__}")
    rows = list(rows)
    if not rows or not all(isinstance(row, dict) for row in rows):
        raise ValueError(f"rows must be a non-empty list of dicts, got {rows!r:.60}")
    if isinstance(percent, str) or not isinstance(percent, (list, tuple)):
        raise TypeError(
            f"percent must be a tuple of column names, got {type(percent).__name__}"
        )
    unknown = [column for column in percent if column not in rows[0]]
    if unknown:
        raise ValueError(
            f"percent must name columns of rows ({list(rows[0])}), got {unknown}"
        )
    return Table(rows, tuple(percent))
