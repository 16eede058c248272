"""Charts in one shared style, readable in print: PNG bytes, embedded by the report.

matplotlib runs headless (Agg) and is imported only when a chart is drawn.
"""

from __future__ import annotations

import base64
import io

import pandas as pd

__all__ = [
    "activity_months_chart",
    "benford_chart",
    "budget_chart",
    "data_uri",
    "indicator_chart",
    "personnel_chart",
    "territory_chart",
]

BLUE, RED, GREY, GREEN = "#000091", "#c9191e", "#9a9a9a", "#18753c"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.color": "#dddddd",
            "grid.linewidth": 0.6,
            "axes.axisbelow": True,
            "svg.hashsalt": "pexaudit",
        }
    )
    return plt


def _euros(value: float, _pos=None) -> str:
    return f"{value:,.0f} €".replace(",", " ")


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def budget_chart(lines: list[dict]) -> bytes:
    """Budget vs declared vs eligible per budget line (euros).

    Up to six lines, vertical bars under labels wrapped to the room each one has; beyond, or when
    a label would need more than three lines, horizontal bars with the labels beside them."""
    plt = _plt()
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    series = [("budget", "Budget (annexe 2)", GREY), ("declared", "Déclaré", "#6a6af4"), ("eligible", "Éligible", BLUE)]
    room = max(8, int(84 / max(len(lines), 1)))  # characters per label line across 7.2 inches
    wrapped = [_wrap(item["label"], room, lines=3) for item in lines]
    across = len(lines) <= 6 and not any(label.endswith("…") for label in wrapped)
    width = 0.26
    xs = list(range(len(lines)))
    if across:
        fig, ax = plt.subplots(figsize=(7.2, 2.9 + 0.15 * max(label.count("\n") for label in wrapped or [""])))
        for k, (key, label, color) in enumerate(series):
            ax.bar([x + (k - 1) * width for x in xs], [i[key] for i in lines], width, label=label, color=color)
        ax.set_xticks(xs, wrapped, fontsize=8 if len(lines) > 3 else 9)
        ax.yaxis.set_major_formatter(FuncFormatter(_euros))
        ax.margins(y=0.1)
    else:
        fig, ax = plt.subplots(figsize=(7.2, max(2.4, 0.5 * len(lines) + 1.0)))
        for k, (key, label, color) in enumerate(series):
            ax.barh([x + (k - 1) * width for x in xs], [i[key] for i in lines], width, label=label, color=color)
        ax.set_yticks(xs, [_wrap(item["label"], 34) for item in lines], fontsize=8)
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(FuncFormatter(_euros))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.margins(x=0.05)
    ax.set_title("Budget prévisionnel et réalisation par ligne", loc="left", fontsize=10, pad=22)
    ax.legend(frameon=False, ncols=3, loc="lower left", bbox_to_anchor=(0, 1.0), fontsize=8, borderaxespad=0.2)
    return _png(fig)


def _month_ticks(axis, first, last, most: int = 8) -> None:
    """Month ticks on a date axis, at most ``most`` of them whatever the period's length."""
    import matplotlib.dates as mdates

    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = next(s for s in (1, 2, 3, 4, 6, 12, 24, 36, 60, 120) if months / s <= most or s == 120)
    axis.set_major_locator(mdates.MonthLocator(interval=step))
    axis.set_major_formatter(mdates.DateFormatter("%m/%Y"))


def personnel_chart(months: pd.DataFrame, spans: list[tuple[str, object, object]], period) -> bytes:
    """Monthly eligible personnel cost per agent (stacked), with the staffing periods.

    ``months``: columns month (date), who, eligible (euros), rejected (euros).
    ``spans``: (who, start, end) of each staff member, dates or None.
    """
    plt = _plt()
    from matplotlib.ticker import FuncFormatter

    start, end = period
    fig, (ax, band) = plt.subplots(
        2, 1, figsize=(7.2, 3.8), sharex=True, gridspec_kw={"height_ratios": [5, 1.2], "hspace": 0.35}
    )
    pivot = months.pivot_table(index="month", columns="who", values="eligible", aggfunc="sum").fillna(0)
    pivot = pivot.loc[:, (pivot != 0).any()]
    bottom = None
    palette = [BLUE, "#6a6af4", "#8585f6", GREEN, "#b34000"]
    for i, who in enumerate(pivot.columns):
        values = pivot[who]
        ax.bar(pivot.index, values, width=20, bottom=bottom, label=f"{who} (éligible)", color=palette[i % len(palette)])
        bottom = values if bottom is None else bottom + values
    rejected = months.groupby("month")["rejected"].sum()
    rejected = rejected[rejected != 0]
    if len(rejected):
        ax.scatter(rejected.index, rejected.values, marker="x", color=RED, label="rejeté", zorder=3)
    ax.yaxis.set_major_formatter(FuncFormatter(_euros))
    ax.margins(y=0.12)
    ax.set_title("Coût mensuel de personnel", loc="left", fontsize=10, pad=22)
    ax.legend(frameon=False, fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=4, borderaxespad=0.2)
    for row, (_, s, e) in enumerate(spans):
        s = s or start
        e = e or end
        band.barh(row, (pd.Timestamp(e) - pd.Timestamp(s)).days, left=pd.Timestamp(s), height=0.45, color=BLUE)
    band.set_yticks(range(len(spans)), [who for who, _, _ in spans])
    band.set_ylim(-0.6, len(spans) - 0.4)
    band.invert_yaxis()
    band.set_xlim(pd.Timestamp(start) - pd.Timedelta(days=20), pd.Timestamp(end) + pd.Timedelta(days=20))
    band.set_title("Périodes d'emploi", loc="left", fontsize=8)
    _month_ticks(band.xaxis, pd.Timestamp(start), pd.Timestamp(end))
    band.grid(False)
    return _png(fig)


def territory_chart(labels: list[str], justified: list[float], balance: list[float]) -> bytes:
    """Justified amount and balance (solde > 0, reversement < 0) per convention."""
    plt = _plt()
    from matplotlib.ticker import FuncFormatter

    fig, ax = plt.subplots(figsize=(7.2, max(2.2, 0.35 * len(labels) + 1)))
    ys = range(len(labels))
    ax.barh(list(ys), justified, color=BLUE, label="Justifié")
    ax.barh(
        list(ys), balance, color=[RED if b < 0 else GREEN for b in balance], height=0.4, label="Solde / reversement"
    )
    ax.set_yticks(list(ys), labels)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(_euros))
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.set_title("Montant justifié et solde par convention", loc="left", fontsize=10)
    return _png(fig)


def indicator_chart(indicators: list[dict], threshold: float) -> bytes:
    """Rate of achievement of each indicator (percent of its target), alerts in red and hatched.

    ``indicators``: label, rate (percent), alert; ``threshold``: the alert line (100 minus
    ``indicator_alert_pct``), drawn beside the target line at 100 %.
    """
    plt = _plt()
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter

    fig, ax = plt.subplots(figsize=(7.2, max(1.8, 0.45 * len(indicators) + 1.1)))
    ys = list(range(len(indicators)))
    rates = [item["rate"] for item in indicators]
    bars = ax.barh(ys, rates, height=0.55, color=[RED if i["alert"] else BLUE for i in indicators])
    for bar, item in zip(bars, indicators, strict=True):
        if item["alert"]:
            bar.set_hatch("//")
            bar.set_edgecolor("white")
    for y, rate in zip(ys, rates, strict=True):
        ax.text(rate + 1, y, f"{rate:.0f} %".replace(".", ","), va="center", fontsize=8)
    ax.axvline(100, color="#333333", linewidth=1)
    ax.axvline(threshold, color=RED, linewidth=1, linestyle="--")
    ax.set_yticks(ys, [_wrap(item["label"]) for item in indicators])
    ax.invert_yaxis()
    ax.set_xlim(0, max([110, *[r + 15 for r in rates]]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f} %"))
    ax.set_title("Taux de réalisation des indicateurs (réalisé / cible)", loc="left", fontsize=10, pad=22)
    handles = [
        Patch(color=BLUE, label="réalisé"),
        Patch(facecolor=RED, hatch="//", edgecolor="white", label="en alerte"),
        plt.Line2D([], [], color="#333333", label="cible (100 %)"),
        plt.Line2D([], [], color=RED, linestyle="--", label=f"seuil d'alerte ({threshold:.0f} %)".replace(".", ",")),
    ]
    ax.legend(handles=handles, frameon=False, fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=4,
              borderaxespad=0.2)  # fmt: skip
    return _png(fig)


def activity_months_chart(months: list[dict]) -> bytes:
    """Retenue actions per month, above a band of the months with eligible personnel cost.

    ``months``: month (date), actions (int), staffed (eligible personnel cost > 0). A month
    with actions and no paid post stands out: red, hatched bar and an empty band cell.
    """
    plt = _plt()
    from matplotlib.patches import Patch

    fig, (ax, band) = plt.subplots(
        2, 1, figsize=(7.2, 3.4), sharex=True, gridspec_kw={"height_ratios": [5, 1], "hspace": 0.35}
    )
    xs = list(range(len(months)))
    vacant = [m["actions"] > 0 and not m["staffed"] for m in months]
    bars = ax.bar(xs, [m["actions"] for m in months], width=0.7, color=[RED if v else BLUE for v in vacant])
    for bar, flag in zip(bars, vacant, strict=True):
        if flag:
            bar.set_hatch("//")
            bar.set_edgecolor("white")
    for x, m, flag in zip(xs, months, vacant, strict=True):
        if m["actions"]:
            ax.text(x, m["actions"], str(m["actions"]), ha="center", va="bottom", fontsize=8,
                    color=RED if flag else "#161616", fontweight="bold" if flag else "normal")  # fmt: skip
    ax.margins(y=0.18)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Actions retenues par mois et mois où le poste est rémunéré", loc="left", fontsize=10, pad=22)
    handles = [
        Patch(color=BLUE, label="actions retenues"),
        Patch(facecolor=RED, hatch="//", edgecolor="white", label="actions sans coût de personnel éligible"),
    ]
    ax.legend(handles=handles, frameon=False, fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2,
              borderaxespad=0.2)  # fmt: skip
    band.bar(xs, [1] * len(months), width=0.95, color=[GREEN if m["staffed"] else "white" for m in months],
             edgecolor=[GREEN if m["staffed"] else GREY for m in months], linewidth=0.8)  # fmt: skip
    for x, m in zip(xs, months, strict=True):
        if not m["staffed"] and len(months) <= 18:  # narrower cells: the white cell alone says it
            band.text(x, 0.5, "vacant", ha="center", va="center", fontsize=7, color=RED if m["actions"] else GREY)
    band.set_ylim(0, 1)
    band.set_yticks([0.5], ["poste\nrémunéré"])
    band.grid(False)
    step = max(1, -(-len(months) // 14))  # at most 14 labels, one every `step` months
    band.set_xticks(xs[::step], [m["month"].strftime("%m/%Y") for m in months][::step], rotation=45, ha="right",
                    fontsize=8)  # fmt: skip
    return _png(fig)


def _wrap(text: str, width: int = 38, lines: int = 2) -> str:
    """A long label on ``lines`` lines at most, broken between words (ellipsis beyond)."""
    import textwrap

    parts = textwrap.wrap(text, width, break_on_hyphens=False) or [""]
    if len(parts) > lines:
        rest = " ".join(parts[lines - 1 :])
        parts = [*parts[: lines - 1], rest[: width - 1].rstrip() + "…"]
    return "\n".join(parts)


def benford_chart(observed: dict[str, int], expected: dict[str, float]) -> bytes:
    """Share of amounts per first digit, observed (bars) against Benford's law (line).

    ``observed``: count per digit "1".."9"; ``expected``: share per digit (log10(1 + 1/d)).
    """
    plt = _plt()
    from matplotlib.ticker import FuncFormatter

    digits = [str(d) for d in range(1, 10)]
    total = sum(observed.get(d, 0) for d in digits)
    shares = [observed.get(d, 0) / total if total else 0 for d in digits]
    fig, ax = plt.subplots(figsize=(7.2, 2.9))
    ax.bar(digits, shares, color=BLUE, width=0.6, label=f"Observé ({total:,} montants)".replace(",", " "))
    ax.plot(digits, [expected[d] for d in digits], color=RED, marker="o", linewidth=1.4, label="Loi de Benford")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value * 100:.0f} %"))
    ax.set_xlabel("Premier chiffre du montant")
    ax.set_ylabel("Part des montants")
    ax.margins(y=0.1)
    ax.set_title("Premier chiffre des montants d'au moins 10 €", loc="left", fontsize=10, pad=22)
    ax.legend(frameon=False, ncols=2, loc="lower left", bbox_to_anchor=(0, 1.0), fontsize=8, borderaxespad=0.2)
    return _png(fig)
