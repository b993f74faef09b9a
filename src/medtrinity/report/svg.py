"""Plots as inline SVG strings (no library, no external resource): horizontal bars and histograms."""

from __future__ import annotations

from html import escape

PALETTE = ("#3b6ea5", "#d9822b", "#3f9c5a", "#b8403a", "#7d5ba6", "#8c6d31", "#c3569b", "#5f7c8a")
_BAR_HEIGHT = 18
_LABEL_WIDTH = 220
_PLOT_WIDTH = 420


def _number(value: float) -> str:
    return f"{value:.3g}" if isinstance(value, float) and not float(value).is_integer() else f"{int(value)}"


def bar_chart(plot_id: str, title: str, items: list[tuple[str, float]], unit: str = "") -> str:
    """Horizontal bars, one per (label, value), longest first as given; an empty chart says so."""
    if not items:
        return _empty(plot_id, title)
    top = max(value for _, value in items) or 1
    height = 30 + len(items) * (_BAR_HEIGHT + 4)
    width = _LABEL_WIDTH + _PLOT_WIDTH + 90
    parts = [f'<svg class="plot" data-plot="{escape(plot_id)}" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>',
             f'<text x="0" y="16" class="plot-title">{escape(title)}</text>']
    for index, (label, value) in enumerate(items):
        y = 26 + index * (_BAR_HEIGHT + 4)
        length = max(1.0, _PLOT_WIDTH * value / top)
        parts.append(f'<text x="{_LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end">{escape(str(label)[:34])}</text>')
        parts.append(f'<rect class="bar" x="{_LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{_BAR_HEIGHT}" '
                     f'fill="{PALETTE[index % len(PALETTE)]}"><title>{escape(str(label))}: '
                     f'{_number(value)}{escape(unit)}</title></rect>')
        parts.append(f'<text x="{_LABEL_WIDTH + length + 4:.1f}" y="{y + 13}">{_number(value)}{escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(plot_id: str, title: str, edges: list[float], counts: list[int], x_label: str) -> str:
    """Vertical bars over bins ``[edges[i], edges[i+1])`` with the edges written under the axis."""
    if not counts or sum(counts) == 0:
        return _empty(plot_id, title)
    width, height, left, bottom = 640, 230, 40, 190
    bar_width = (width - left - 10) / len(counts)
    top = max(counts)
    parts = [f'<svg class="plot" data-plot="{escape(plot_id)}" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>',
             f'<text x="0" y="16" class="plot-title">{escape(title)}</text>',
             f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="#555"/>']
    for index, count in enumerate(counts):
        bar = (bottom - 30) * count / top
        x = left + index * bar_width
        parts.append(f'<rect class="bar" x="{x + 1:.1f}" y="{bottom - bar:.1f}" width="{bar_width - 2:.1f}" '
                     f'height="{bar:.1f}" fill="{PALETTE[0]}"><title>{_number(edges[index])} to '
                     f'{_number(edges[index + 1])}: {count}</title></rect>')
        if count:
            parts.append(f'<text x="{x + bar_width / 2:.1f}" y="{bottom - bar - 3:.1f}" text-anchor="middle" '
                         f'class="small">{count}</text>')
    step = max(1, len(edges) // 8)
    for index in range(0, len(edges), step):
        x = left + index * bar_width
        parts.append(f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" class="small">'
                     f'{_number(edges[index])}</text>')
    parts.append(f'<text x="{(width + left) / 2:.0f}" y="{bottom + 32}" text-anchor="middle">{escape(x_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _empty(plot_id: str, title: str) -> str:
    return (f'<svg class="plot empty" data-plot="{escape(plot_id)}" role="img" width="420" height="44" '
            f'viewBox="0 0 420 44"><title>{escape(title)}</title><text x="0" y="16" class="plot-title">'
            f'{escape(title)}</text><text x="0" y="36">nothing to plot</text></svg>')
