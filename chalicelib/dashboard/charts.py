"""Charts drawn on the server as inline SVG: every text escaped, each series told apart by its dash
pattern, marker shape and a label (not colour alone), and the data also given as a table by the page."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

COLOURS = ("#b42318", "#b54708", "#175cd3", "#067647", "#6941c6", "#344054")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 2")
MARKERS = ("circle", "square", "triangle", "diamond", "circle", "square")


@dataclass
class Series:
    name: str
    values: list[float | None]


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if kind == "triangle":
        return f'<path d="M{x:.1f} {y - 4.5:.1f}L{x + 4.5:.1f} {y + 3.5:.1f}L{x - 4.5:.1f} {y + 3.5:.1f}Z" fill="{colour}"/>'
    if kind == "diamond":
        return f'<path d="M{x:.1f} {y - 5:.1f}L{x + 5:.1f} {y:.1f}L{x:.1f} {y + 5:.1f}L{x - 5:.1f} {y:.1f}Z" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'


def line_chart(chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series],
               y_max: float | None = None, unit: str = "", noun: str = "runs") -> Markup:
    """A line chart, oldest on the left; ``labels`` name the runs (or months: ``noun``) on the x axis."""
    width, height, left, right, top, bottom = 640, 240, 48, 130, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    top_value = y_max if y_max is not None else _nice(max(values + [1.0]))
    n = max(len(labels), 1)

    def x_of(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y_of(v: float) -> float:
        return top + plot_h - plot_h * min(v, top_value) / top_value

    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d"'
           f' xmlns="http://www.w3.org/2000/svg">',
           f'<title id="{chart_id}-t">{escape(title)}</title>',
           f'<desc id="{chart_id}-d">{escape(_describe(labels, series, unit, noun))}</desc>']
    for step in range(5):
        value = top_value * step / 4
        y = y_of(value)
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d5dd" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{escape(_fmt(value))}{escape(unit)}</text>')
    shown = {0, n - 1} | ({n // 2} if n > 4 else set())
    for i, label in enumerate(labels):
        if i in shown:
            out.append(f'<text x="{x_of(i):.1f}" y="{height - 12}" text-anchor="middle" class="axis">{escape(label)}</text>')
    for index, s in enumerate(series):
        colour, dash, marker = COLOURS[index % 6], DASHES[index % 6], MARKERS[index % 6]
        points = [(x_of(i), y_of(v)) for i, v in enumerate(s.values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{'M' if j == 0 else 'L'}{x:.1f} {y:.1f}" for j, (x, y) in enumerate(points))
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>')
        out.extend(_marker(marker, x, y, colour) for x, y in points)
        legend_y = top + 14 + index * 20
        legend_x = left + plot_w + 12
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{legend_x}" x2="{legend_x + 22}" y1="{legend_y - 4}" y2="{legend_y - 4}" stroke="{colour}"'
                   f' stroke-width="2"{dash_attr}/>')
        out.append(_marker(marker, legend_x + 11, legend_y - 4, colour))
        out.append(f'<text x="{legend_x + 28}" y="{legend_y}" class="legend">{escape(s.name)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def sparkline(values: Sequence[float | None], label: str) -> Markup:
    """A small trend line (oldest first), with its last value and the label as its accessible name."""
    width, height = 96, 24
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return Markup("")
    top = max(v for _, v in points) or 1.0
    n = max(len(values) - 1, 1)
    coords = [(2 + (width - 4) * i / n, height - 3 - (height - 6) * v / top) for i, v in points]
    path = " ".join(f"{'M' if j == 0 else 'L'}{x:.1f} {y:.1f}" for j, (x, y) in enumerate(coords))
    last_x, last_y = coords[-1]
    return Markup(f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
                  f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
                  f'<path d="{path}" fill="none" stroke="#175cd3" stroke-width="1.5"/>'
                  f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.5" fill="#175cd3"/></svg>')


def gauge(score: float | None, label: str) -> Markup:
    """A Lighthouse-style ring with the score in figures and a word (good / needs work / poor)."""
    if score is None:
        return Markup(f'<div class="gauge"><span class="gauge-label">{escape(label)}</span><span>no score</span></div>')
    radius, circumference = 34, 2 * 3.14159 * 34
    filled = circumference * max(0.0, min(score, 100.0)) / 100
    word, colour = ("good", "#067647") if score >= 90 else ("needs work", "#b54708") if score >= 50 else ("poor", "#b42318")
    return Markup(
        f'<figure class="gauge gauge-{word.replace(" ", "-")}">'
        f'<svg viewBox="0 0 80 80" width="80" height="80" aria-hidden="true" xmlns="http://www.w3.org/2000/svg">'
        f'<circle cx="40" cy="40" r="{radius}" fill="none" stroke="#eaecf0" stroke-width="8"/>'
        f'<circle cx="40" cy="40" r="{radius}" fill="none" stroke="{colour}" stroke-width="8" '
        f'stroke-dasharray="{filled:.1f} {circumference:.1f}" transform="rotate(-90 40 40)"/>'
        f'<text x="40" y="46" text-anchor="middle" class="gauge-value">{score:.0f}</text></svg>'
        f'<figcaption><span class="gauge-label">{escape(label)}</span> <span class="gauge-score">{score:.0f}/100</span>'
        f' <span class="gauge-word">({word})</span></figcaption></figure>')


def bar(percent: float, level: str, label: str) -> Markup:
    """A quota bar (0-100 % filled) whose accessible name says the figures and the warning in words;
    the level (ok, w80, w90, w100, unlimited) picks the colour, and the page prints the same words."""
    width, height = 400, 18
    filled = width * max(0.0, min(percent, 100.0)) / 100
    ticks = "".join(f'<line x1="{width * t / 100:.0f}" x2="{width * t / 100:.0f}" y1="0" y2="{height}" class="tick"/>'
                    for t in (80, 90))
    return Markup(f'<svg class="bar bar-{escape(level)}" viewBox="0 0 {width} {height}" preserveAspectRatio="none" '
                  f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
                  f'<rect class="track" x="0" y="0" width="{width}" height="{height}" rx="4"/>'
                  f'<rect class="fill" x="0" y="0" width="{filled:.1f}" height="{height}" rx="4"/>{ticks}</svg>')


def _nice(value: float) -> float:
    """An axis top that divides into four round steps (4, 8, 20, 40, 100, ...)."""
    step = 1.0
    while value > step * 4:
        step *= 2.5 if str(int(step)).startswith("2") else 2
    return step * 4


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _describe(labels: Sequence[str], series: Sequence[Series], unit: str, noun: str = "runs") -> str:
    parts = []
    for s in series:
        last = next((v for v in reversed(s.values) if v is not None), None)
        parts.append(f"{s.name}: latest {_fmt(last)}{unit}" if last is not None else f"{s.name}: no data")
    return f"{len(labels)} {noun}. " + "; ".join(parts) + ". The table below lists every value."
