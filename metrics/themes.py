"""Themes in survey comments: a keyword taxonomy, each theme's scores and effect, and phrases
that no theme covers yet, ranked by how much more often detractors use them than promoters.

A theme's effect is its score among comments that mention it minus the score among comments
that do not (both groups are commenters, so the comparison is like with like), with a 95 %
interval: Newcombe's hybrid score interval for the CSAT difference, a normal interval from the
+1/0/−1 variances for the NPS difference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import polars as pl

from metrics import stats

Taxonomy = Mapping[str, Sequence[str]]
WORD = r"[a-z0-9']+"
_STOP = """a about after again all also am an and any are as at be been before being but by can
    could did do does doing don't for from get got had has have having he her here him his how
    i i'm i've if in into is it it's its just me more most my no nor not now of off on once
    only or other our out over own so some such than that the their them then there these they
    this those through to too under until up very was we were what when where which while who
    why will with would you your yours"""
STOPWORDS = frozenset(_STOP.split())


def pattern(terms: Sequence[str]) -> str:
    """A case-insensitive regex matching any term as whole words; a trailing * is any ending."""
    parts = []
    for term in terms:
        words = term.strip().lower().split()
        if not words:
            continue
        text = r"\s+".join(re.escape(w.rstrip("*")) for w in words)
        parts.append(text + (r"[\w'-]*" if term.strip().endswith("*") else ""))
    if not parts:
        return r"[^\s\S]"  # matches nothing
    return r"(?i)\b(?:" + "|".join(parts) + r")\b"


def tag(frame: pl.DataFrame, taxonomy: Taxonomy, *, column: str = "comment") -> pl.DataFrame:
    """The frame with `themes`: the names of the themes each comment mentions, in order."""
    hits = [
        pl.when(pl.col(column).str.contains(pattern(terms))).then(pl.lit(name))
        for name, terms in taxonomy.items()
    ]
    themes = pl.concat_list(hits).list.drop_nulls() if hits else pl.lit([], pl.List(pl.String))
    return frame.with_columns(themes.alias("themes"))


def _sums() -> list[pl.Expr]:
    nps, csat = pl.col("nps"), pl.col("csat")
    counts = {
        "comments": pl.len(),
        "nps_n": nps.is_not_null().sum(),
        "promoters": (nps >= 9).sum(),
        "detractors": (nps <= 6).sum(),
        "csat_n": csat.is_not_null().sum(),
        "csat_top2": (csat >= 4).sum(),
    }
    return [value.cast(pl.Int64).alias(name) for name, value in counts.items()]


def difference(k1: pl.Expr, n1: pl.Expr, k2: pl.Expr, n2: pl.Expr) -> tuple[pl.Expr, ...]:
    """p1 − p2 and its 95 % Newcombe (hybrid Wilson score) interval."""
    p1, p2 = stats.divide(k1, n1), stats.divide(k2, n2)
    (l1, u1), (l2, u2) = stats.wilson(k1, n1), stats.wilson(k2, n2)
    d = p1 - p2
    low = d - ((p1 - l1) ** 2 + (u2 - p2) ** 2).sqrt()
    high = d + ((u1 - p1) ** 2 + (p2 - l2) ** 2).sqrt()
    return d, low, high


def _nps(promoters: pl.Expr, detractors: pl.Expr, n: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return stats.divide(promoters - detractors, n) * 100, stats.nps_variance(
        promoters, detractors, n
    )


def _effects(frame: pl.DataFrame) -> pl.DataFrame:
    """Scores with the theme, and the differences against comments without it."""
    w, wo = (lambda c: pl.col(c)), (lambda c: pl.col(f"all_{c}") - pl.col(c))
    nps_with, var_with = _nps(w("promoters"), w("detractors"), w("nps_n"))
    nps_without, var_without = _nps(wo("promoters"), wo("detractors"), wo("nps_n"))
    spread = (stats.divide(var_with, w("nps_n")) + stats.divide(var_without, wo("nps_n"))).sqrt()
    effect = pl.when(wo("nps_n") > 0).then(nps_with - nps_without)
    csat, csat_low, csat_high = difference(
        w("csat_top2"), w("csat_n"), wo("csat_top2"), wo("csat_n")
    )
    return frame.select(
        "theme",
        pl.col("comments").alias("mentions"),
        stats.divide(w("comments"), pl.col("all_comments")).alias("share"),
        nps_with.alias("nps"),
        "nps_n",
        effect.alias("nps_effect"),
        (effect - stats.Z * spread * 100).alias("nps_effect_low"),
        (effect + stats.Z * spread * 100).alias("nps_effect_high"),
        stats.divide(w("csat_top2"), w("csat_n")).alias("csat"),
        "csat_n",
        csat.alias("csat_effect"),
        csat_low.alias("csat_effect_low"),
        csat_high.alias("csat_effect_high"),
    )


def theme_table(responses: pl.DataFrame, taxonomy: Taxonomy) -> pl.DataFrame:
    """Per theme: mentions, share of comments, NPS and CSAT with it, and effects with intervals.

    `responses` holds `comment`, `nps` (0–10) and `csat` (1–5); rows without a comment are
    ignored. Every theme of the taxonomy gets a row, most mentioned first.
    """
    commented = responses.filter(pl.col("comment").str.strip_chars() != "")
    totals = commented.select(_sums()).rename(lambda c: f"all_{c}")
    per_theme = (
        tag(commented, taxonomy)
        .explode("themes")
        .drop_nulls("themes")
        .group_by(pl.col("themes").alias("theme"))
        .agg(_sums())
    )
    names = pl.DataFrame({"theme": list(taxonomy)}, schema={"theme": pl.String})
    joined = names.join(per_theme, on="theme", how="left").fill_null(0)
    table = _effects(joined.join(totals, how="cross"))
    return table.sort("mentions", "theme", descending=[True, False], maintain_order=True)


def sentiment() -> pl.Expr:
    """detractor / promoter by NPS (0–6 / 9–10), else by CSAT (1–2 / 4–5); null in between."""
    nps, csat = pl.col("nps"), pl.col("csat")
    return (
        pl.when(nps.is_not_null())
        .then(pl.when(nps <= 6).then(pl.lit("detractor")).when(nps >= 9).then(pl.lit("promoter")))
        .when(csat <= 2)
        .then(pl.lit("detractor"))
        .when(csat >= 4)
        .then(pl.lit("promoter"))
    )


def _words(comments: pl.DataFrame, covered: str | None) -> pl.DataFrame:
    """The words of each comment (`row`), numbered (`at`) within pieces (`part`) that break at
    punctuation, redaction marks and words a theme already covers."""
    text = pl.col("comment").str.to_lowercase().str.replace_all(r"\[[a-z ]+\]", "\n")
    if covered:
        text = text.str.replace_all(covered, "\n")
    text = text.str.replace_all(r"[.!?;:,()\[\]]+", "\n")
    pieces = comments.select("row", text.str.split("\n").alias("piece")).explode("piece")
    return (
        pieces.with_row_index("part")
        .select("row", "part", pl.col("piece").str.extract_all(WORD).alias("word"))
        .explode("word")
        .drop_nulls("word")
        .with_columns(pl.int_range(pl.len()).over("part").alias("at"))
    )


def _phrases(words: pl.DataFrame, max_words: int) -> pl.DataFrame:
    """Every phrase of 1..max_words words inside a piece, once per comment (`row`, `phrase`)."""
    following = [pl.col("word").shift(-i).over("part", order_by="at") for i in range(max_words)]
    words = words.with_columns(following[i].alias(f"w{i}") for i in range(1, max_words))
    stop = list(STOPWORDS)
    parts = []
    for n in range(1, max_words + 1):
        last = pl.col(f"w{n - 1}" if n > 1 else "word")
        useful = ~pl.col("word").is_in(stop) & ~last.is_in(stop)
        names = ["word", *(f"w{i}" for i in range(1, n))]
        phrase = pl.concat_str(names, separator=" ")  # null when the piece ends first
        parts.append(words.filter(useful).select("row", phrase.alias("phrase")).drop_nulls())
    return pl.concat(parts).unique()


def _without_subsumed(found: pl.DataFrame) -> pl.DataFrame:
    """Drop a phrase when a longer one holding it is used in exactly the same comments."""
    keep = []
    rows = found.to_dicts()
    for row in rows:
        counts = (row["detractor_comments"], row["promoter_comments"])
        longer = (
            other
            for other in rows
            if other["phrase"] != row["phrase"] and f" {row['phrase']} " in f" {other['phrase']} "
        )
        keep.append(
            not any((o["detractor_comments"], o["promoter_comments"]) == counts for o in longer)
        )
    return found.filter(pl.Series(keep, dtype=pl.Boolean))


def discover(
    responses: pl.DataFrame,
    taxonomy: Taxonomy,
    *,
    min_comments: int = 5,
    max_words: int = 3,
    top: int = 20,
) -> pl.DataFrame:
    """Frequent phrases in no theme, most over-used by detractors (against promoters) first.

    A phrase counts once per comment; it needs `min_comments` comments from detractors and
    promoters together, and detractors must use it more beyond noise (the 95 % interval of
    the difference in shares lies above 0). Phrases that start or end with a stop word are
    skipped.
    """
    rated = responses.with_columns(sentiment().alias("sentiment")).filter(
        pl.col("sentiment").is_not_null() & (pl.col("comment").str.strip_chars() != "")
    )
    rated = rated.with_row_index("row")
    groups = {"detractor": pl.lit(0), "promoter": pl.lit(0)}
    sizes = rated.group_by("sentiment").len()
    for name, size in sizes.iter_rows():
        groups[name] = pl.lit(size)
    covered = pattern([t for terms in taxonomy.values() for t in terms]) if taxonomy else None
    phrases = _phrases(_words(rated, covered), max_words)
    phrases = phrases.join(rated.select("row", "sentiment"), on="row")
    counts = phrases.group_by("phrase").agg(
        (pl.col("sentiment") == "detractor").sum().cast(pl.Int64).alias("detractor_comments"),
        (pl.col("sentiment") == "promoter").sum().cast(pl.Int64).alias("promoter_comments"),
    )
    d, p = pl.col("detractor_comments"), pl.col("promoter_comments")
    gap, low, high = difference(d, groups["detractor"], p, groups["promoter"])
    found = (
        counts.filter(d + p >= min_comments)
        .with_columns(
            stats.divide(d, groups["detractor"]).alias("detractor_share"),
            stats.divide(p, groups["promoter"]).alias("promoter_share"),
            gap.alias("difference"),
            low.alias("difference_low"),
            high.alias("difference_high"),
        )
        .filter(pl.col("difference_low") > 0)
        .sort("difference", "phrase", descending=[True, False])
    )
    return _without_subsumed(found.head(top * 3)).head(top)
