"""Bar charts for the apps as inline SVG: drawn by the browser, no matplotlib in the kernel.

A visitor's kernel must stay small (matplotlib alone costs it about 40 MiB and 0.5 s); an
SVG of a few bars is a few kilobytes of text, sharp at any zoom, and the page's PNG export
draws it with its title, sources and attribution. Missing values get no bar and read
"n/a", never 0. Colours are the map palette's (colour-blind safe).
"""

from __future__ import annotations

import html
import math

SERIES_COLOURS = ("#21918c", "#fde725", "#440154", "#3b528b", "#5ec962", "#31688e", "#b5de2b")
ROW_HEIGHT = 16
LABEL_WIDTH = 230
PLOT_WIDTH = 330
MARGIN = 8


def _bar(x: float, y: float, width: float, colour: str, text: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{ROW_HEIGHT - 4}" '
        f'fill="{colour}"><title>{html.escape(text)}</title></rect>'
    )


def bar_chart_svg(
    labels: list[str],
    series: dict[str, list[float | None]],
    *,
    maximum: float | None = None,
    axis_label: str = "",
    css_class: str = "observatory-chart",
    description: str = "",
) -> str:
    """Horizontal grouped bars: one group per label, one bar per series.

    Args:
        labels: the groups, top to bottom.
        series: name -> one value per label (None or NaN: no bar, "n/a").
        maximum: the axis end (default: the largest value, at least 1).
        axis_label: text under the axis.
        css_class: the SVG's class (the PNG export finds charts by it).
        description: the chart's accessible name.
    """
    names = list(series)
    known = [v for values in series.values() for v in values if v is not None and not math.isnan(v)]
    top = maximum if maximum is not None else max([1.0, *known])
    group = ROW_HEIGHT * len(names) + 6
    width = LABEL_WIDTH + PLOT_WIDTH + 60
    legend = _legend_positions(names, width)
    height = MARGIN * 2 + group * len(labels) + 40 + 14 * max(p[1] for p in legend)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{html.escape(css_class)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{html.escape(description)}" font-family="DejaVu Sans, Arial, sans-serif" '
        'font-size="11">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for row, label in enumerate(labels):
        y0 = MARGIN + row * group
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y0 + group / 2:.1f}" text-anchor="end" '
            f'dominant-baseline="middle">{html.escape(_short(label))}</text>'
        )
        for position, name in enumerate(names):
            value = series[name][row]
            y = y0 + position * ROW_HEIGHT
            colour = SERIES_COLOURS[position % len(SERIES_COLOURS)]
            if value is None or math.isnan(value):
                parts.append(f'<text x="{LABEL_WIDTH + 4}" y="{y + 10}" fill="#666">n/a</text>')
                continue
            width_px = PLOT_WIDTH * max(value, 0) / top
            parts.append(_bar(LABEL_WIDTH, y, width_px, colour, f"{name}: {value:.1f}"))
            parts.append(
                f'<text x="{LABEL_WIDTH + width_px + 3:.1f}" y="{y + 10}" fill="#333">'
                f"{value:.0f}</text>"
            )
    axis_y = MARGIN + group * len(labels) + 2
    parts.append(
        f'<line x1="{LABEL_WIDTH}" y1="{axis_y}" x2="{LABEL_WIDTH + PLOT_WIDTH}" y2="{axis_y}" '
        'stroke="#999"/>'
    )
    for tick in range(0, 5):
        value = top * tick / 4
        x = LABEL_WIDTH + PLOT_WIDTH * tick / 4
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 12}" text-anchor="middle">{value:.0f}</text>')
    parts.append(
        f'<text x="{LABEL_WIDTH + PLOT_WIDTH / 2}" y="{axis_y + 25}" text-anchor="middle">'
        f"{html.escape(axis_label)}</text>"
    )
    for position, (name, (x, line)) in enumerate(zip(names, legend, strict=True)):
        colour = SERIES_COLOURS[position % len(SERIES_COLOURS)]
        y = axis_y + 32 + 14 * line
        parts.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{y + 9}">{html.escape(_short(name, 18))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend_positions(names: list[str], width: int) -> list[tuple[int, int]]:
    """Where each series' legend entry goes: (x, line), wrapping at the chart's width."""
    positions, x, line = [], 8, 0
    for name in names:
        step = 22 + 7 * min(len(name), 18)
        if x + step > width and x > 8:
            x, line = 8, line + 1
        positions.append((x, line))
        x += step
    return positions


def _short(text: str, limit: int = 38) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
