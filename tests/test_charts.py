"""Charts readable in print (SPEC 12): no two axis labels overlap, whatever the number of budget
lines, the length of their labels or of the period; every chart fits the width of an A4 page."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pexaudit.render import charts

A4_TEXT_WIDTH_IN = (210 - 24) / 25.4  # the report's printable width (12 mm margins)


@pytest.fixture
def drawn(monkeypatch):
    """Each figure a chart function draws, kept (and still saved) for inspection."""
    figures = []
    save = charts._png

    def keep(fig):
        fig.canvas.draw()
        figures.append((fig, _labels(fig), fig.get_size_inches()[0]))
        return save(fig)

    monkeypatch.setattr(charts, "_png", keep)
    return figures


def _labels(fig):
    """Per axis, the window boxes of its visible tick labels; and the titles and legend texts."""
    renderer = fig.canvas.get_renderer()
    ticks, others = [], []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            labels = [t for t in axis.get_ticklabels() if t.get_visible() and t.get_text().strip()]
            ticks.append([(t.get_text(), t.get_window_extent(renderer)) for t in labels])
        if ax.get_title(loc="left"):
            others.append((ax.get_title(loc="left"), ax._left_title.get_window_extent(renderer)))
        legend = ax.get_legend()
        if legend is not None:
            others.extend((t.get_text(), t.get_window_extent(renderer)) for t in legend.get_texts())
    return ticks, others


def _overlaps(boxes, tolerance=0.5):
    found = []
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if width > tolerance and height > tolerance:
                found.append((a, b))
    return found


def assert_readable(figures):
    assert figures
    for _fig, (ticks, others), width in figures:
        assert width <= A4_TEXT_WIDTH_IN
        for labels in ticks:
            assert _overlaps(labels) == []
        assert _overlaps(others) == []


LONG = [
    "Charges de personnel affecté au projet",
    "Coûts de gestion (forfait ou réels plafonnés)",
    "Déplacements, missions et réceptions des partenaires",
    "Achats de petit matériel et fournitures de bureau",
    "Communication et publications",
]


@pytest.mark.parametrize("labels", [LONG[:2], LONG, LONG * 3, ["Personnel", "Gestion", "Hors budget"]],
                         ids=["two", "five-long", "fifteen", "short"])  # fmt: skip
def test_budget_chart_labels_do_not_overlap(drawn, labels):
    charts.budget_chart([{"label": label, "budget": 45_000.0 * (i + 1), "declared": 52_776.46, "eligible": 45_116.78}
                         for i, label in enumerate(labels)])  # fmt: skip
    assert_readable(drawn)


@pytest.mark.parametrize("months", [3, 12, 36])
def test_personnel_chart_months_do_not_overlap(drawn, months):
    first = dt.date(2023, 1, 15)
    dates = [pd.Timestamp(first) + pd.DateOffset(months=k) for k in range(months)]
    frame = pd.DataFrame(
        {"month": dates, "who": ["Agent 1"] * months, "eligible": [3_730.4] * months, "rejected": [0.0] * months}
    )
    end = (dates[-1] + pd.offsets.MonthEnd(0)).date()
    charts.personnel_chart(frame, [("Agent 1", None, None), ("Agent 2", first, end)], (dt.date(2023, 1, 1), end))
    assert_readable(drawn)


@pytest.mark.parametrize("months", [12, 24, 48])
def test_activity_chart_months_do_not_overlap(drawn, months):
    charts.activity_months_chart(
        [{"month": (pd.Timestamp(2023, 1, 1) + pd.DateOffset(months=k)).date(), "actions": k % 5,
          "staffed": k % 7 != 0} for k in range(months)]
    )  # fmt: skip
    assert_readable(drawn)


def test_indicator_benford_and_territory_charts_are_readable(drawn):
    charts.indicator_chart([{"label": label, "rate": 40 + 15 * i, "alert": i % 2 == 0} for i, label in enumerate(LONG)],
                           80)  # fmt: skip
    charts.benford_chart({str(d): 10 - d for d in range(1, 10)}, {str(d): 0.1 for d in range(1, 10)})
    charts.territory_chart([f"cd{n:02d}-2024 {LONG[n % 5]}" for n in range(30)], [1e5] * 30, [-5e3, 5e3] * 15)
    assert_readable(drawn)
