"""The Relazione's charts, drawn with matplotlib as a person would put them in a report: titles, units, legends."""

from __future__ import annotations

import io

from ..italian import SCORE_DECIMALS, number, rounded
from ..scoring.evaluate import Evaluation

BAND_COLOURS = {"raggiunto": "#63BE7B", "parzialmente raggiunto": "#FFD966", "non raggiunto": "#F8696B",
                "non valutabile": "#BFBFBF"}


def _figure(width: float = 16, height: float = 8):
    import matplotlib

    matplotlib.use("Agg")  # no screen: draw to PNG only
    from matplotlib import pyplot

    pyplot.rcParams.update({"font.family": "DejaVu Sans", "font.size": 9, "axes.spines.top": False,
                            "axes.spines.right": False, "axes.formatter.use_locale": False})
    figure, axes = pyplot.subplots(figsize=(width / 2.54, height / 2.54), dpi=150)
    return pyplot, figure, axes


def _png(pyplot, figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    return buffer.getvalue()


def sector_scores(evaluation: Evaluation) -> bytes:
    """Each sector's score as a bar coloured by its band, with the band thresholds as lines."""
    pyplot, figure, axes = _figure()
    sectors = evaluation.sectors
    scores = [s.score or 0 for s in sectors]
    bars = axes.bar([s.sector for s in sectors], scores, color=[BAND_COLOURS[s.band] for s in sectors],
                    edgecolor="#595959", linewidth=0.6)
    for bar, sector in zip(bars, sectors):
        label = number(sector.score) if sector.score is not None else "n.v."
        axes.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                      xytext=(0, 2), textcoords="offset points")
    policy = evaluation.plan.scoring
    for threshold, text in ((policy.achieved_threshold, "soglia raggiunto"), (policy.partial_threshold, "soglia parziale")):
        axes.axhline(threshold, color="#7F7F7F", linestyle="--", linewidth=0.8)
        axes.text(-0.45, threshold + 1, f"{text} ({threshold:g})", ha="left", va="bottom", fontsize=7,
                  color="#595959")
    axes.set_ylim(0, 110)
    axes.set_ylabel("Punteggio (punti su 100)")
    axes.set_xlabel("Settore")
    axes.set_title("Punteggio per settore", fontweight="bold")
    handles = [pyplot.Rectangle((0, 0), 1, 1, color=c) for c in BAND_COLOURS.values()]
    axes.legend(handles, [b.capitalize() for b in BAND_COLOURS], loc="lower left", fontsize=7, frameon=False, ncol=4,
                bbox_to_anchor=(0, -0.32))
    return _png(pyplot, figure)


def objective_distribution(evaluation: Evaluation) -> bytes:
    """How the objectives' scores are spread: how many fall in each band of ten points."""
    pyplot, figure, axes = _figure(height=7)
    scores = [rounded(o.score, SCORE_DECIMALS) for o in evaluation.objectives if o.score is not None]  # binned as banded
    edges = list(range(0, 101, 10))
    counts = [sum(1 for s in scores if low <= s < high or (high == 100 and s == 100)) for low, high in zip(edges, edges[1:])]
    policy = evaluation.plan.scoring
    colours = [BAND_COLOURS["raggiunto"] if low >= policy.achieved_threshold else
               BAND_COLOURS["parzialmente raggiunto"] if low >= policy.partial_threshold else BAND_COLOURS["non raggiunto"]
               for low in edges[:-1]]
    axes.bar([f"{low}-{high}" for low, high in zip(edges, edges[1:])], counts, color=colours, edgecolor="#595959",
             linewidth=0.6)
    for x, n in enumerate(counts):
        if n:
            axes.annotate(str(n), (x, n), ha="center", va="bottom", xytext=(0, 2), textcoords="offset points")
    axes.set_xlabel("Punteggio dell'obiettivo (punti su 100)")
    axes.set_ylabel("Numero di obiettivi")
    axes.set_title("Distribuzione dei punteggi degli obiettivi", fontweight="bold")
    return _png(pyplot, figure)


def interim_and_final(interim: Evaluation, final: Evaluation) -> bytes:
    """Each sector's score at the interim and at the final review, side by side."""
    pyplot, figure, axes = _figure()
    codes = [s.sector for s in final.sectors]
    before = {s.sector: s.score for s in interim.sectors}
    positions = range(len(codes))
    axes.bar([p - 0.2 for p in positions], [before.get(c) or 0 for c in codes], width=0.4, label="Verifica intermedia",
             color="#9DC3E6", edgecolor="#595959", linewidth=0.6)
    axes.bar([p + 0.2 for p in positions], [s.score or 0 for s in final.sectors], width=0.4, label="Verifica finale",
             color="#2E75B6", edgecolor="#595959", linewidth=0.6)
    axes.set_xticks(list(positions), codes)
    axes.set_ylim(0, 110)
    axes.set_ylabel("Punteggio (punti su 100)")
    axes.set_xlabel("Settore")
    axes.set_title("Punteggio per settore: verifica intermedia e finale", fontweight="bold")
    axes.legend(frameon=False, fontsize=8, loc="lower left", bbox_to_anchor=(0, -0.32), ncol=2)
    return _png(pyplot, figure)
