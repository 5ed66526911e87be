"""Honest statistics: intervals, period-over-period tests and control limits (95 %, two-sided).

Every function works on Polars expressions over group sums, so a whole KPI frame gets its
intervals in one pass. `divide` is the one place a ratio is taken: a zero denominator is null.
"""

from __future__ import annotations

import polars as pl

Z = 1.959963984540054  # the standard normal's 97.5 % quantile
SIGMA = 3.0  # control limits at three standard errors (Shewhart)
MOVING_RANGE = 2.66  # 3 / d2 for moving ranges of two points


def divide(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, null where the denominator is zero or null."""
    return pl.when(denominator != 0).then(numerator / denominator)


def t_quantile(df: pl.Expr) -> pl.Expr:
    """Student's t 97.5 % quantile for `df` degrees of freedom (Cornish–Fisher expansion).

    Within 0.003 of the exact value from 3 degrees of freedom up; below that it is
    conservative enough for a dashboard, and null for df < 1.
    """
    z = Z
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    inverse = divide(pl.lit(1.0), df.cast(pl.Float64))
    value = z + g1 * inverse + g2 * inverse**2 + g3 * inverse**3 + g4 * inverse**4
    return pl.when(df >= 1).then(value)


def wilson(successes: pl.Expr, n: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The 95 % Wilson score interval of a proportion."""
    p = divide(successes, n)
    z2n = divide(pl.lit(Z * Z), n)
    centre = divide(p + z2n / 2, 1 + z2n)
    half = divide(Z * (divide(p * (1 - p), n) + divide(z2n, 4 * n)).sqrt(), 1 + z2n)
    # The interval always contains p; min/max only undo float rounding at p = 0 or 1.
    low = pl.min_horizontal(centre - half, p).clip(0, 1)
    return low, pl.max_horizontal(centre + half, p).clip(0, 1)


def nps_variance(promoters: pl.Expr, detractors: pl.Expr, n: pl.Expr) -> pl.Expr:
    """Variance of the +1/0/−1 score: p₊ + p₋ − (p₊ − p₋)²."""
    plus, minus = divide(promoters, n), divide(detractors, n)
    return plus + minus - (plus - minus) ** 2


def mean_variance(total: pl.Expr, squares: pl.Expr, n: pl.Expr) -> pl.Expr:
    """The sample variance from Σx, Σx² and n (null below two observations)."""
    spread = squares - divide(total * total, n)
    return pl.when(n >= 2).then(divide(spread, n - 1).clip(lower_bound=0))


def normal_interval(value: pl.Expr, variance: pl.Expr, n: pl.Expr, *, scale: float = 1.0):
    """value ± z·√(variance / n)·scale."""
    half = Z * divide(variance, n).sqrt() * scale
    return value - half, value + half


def mean_interval(value: pl.Expr, variance: pl.Expr, n: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """value ± t(n − 1)·√(variance / n)."""
    half = t_quantile(n - 1) * divide(variance, n).sqrt()
    return value - half, value + half


def proportion_z(k1: pl.Expr, n1: pl.Expr, k2: pl.Expr, n2: pl.Expr) -> pl.Expr:
    """Two-proportion z statistic with the pooled proportion."""
    pooled = divide(k1 + k2, n1 + n2)
    se = (pooled * (1 - pooled) * (divide(pl.lit(1.0), n1) + divide(pl.lit(1.0), n2))).sqrt()
    return divide(divide(k1, n1) - divide(k2, n2), se)


def welch(
    m1: pl.Expr, v1: pl.Expr, n1: pl.Expr, m2: pl.Expr, v2: pl.Expr, n2: pl.Expr
) -> tuple[pl.Expr, pl.Expr]:
    """Welch's t statistic and its Welch–Satterthwaite degrees of freedom."""
    a, b = divide(v1, n1), divide(v2, n2)
    t = divide(m1 - m2, (a + b).sqrt())
    df = divide((a + b) ** 2, divide(a * a, n1 - 1) + divide(b * b, n2 - 1))
    return t, df
