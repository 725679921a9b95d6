"""The payoffs an employee weighs, for one employee and one key result at a time.

Scalar functions written straight from docs/ODD.md: the score curves and their
expectations under normal attainment (§7.8), the goal as a reference point
(§7.5, §7.7), the forecast's uncertainty (§4.6), blocker durations (§4.6,
§7.4), the split of the week by water-filling (§7.5) and habits (§4.3).
Nothing here imports the vectorised model; :mod:`okrsim.reference` is docked
against it (tests/test_docking.py).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from statistics import NormalDist

from okrsim.params import WEEKS_PER_QUARTER, Assumptions, Comp, Scenario

_SQRT_2PI = math.sqrt(2.0 * math.pi)

#: Twelve equiprobable standard-normal nodes Φ⁻¹((q + ½)/12) (ODD §7.3).
NODES = tuple(NormalDist().inv_cdf((q + 0.5) / 12) for q in range(12))
#: Reported pace at or above which a key result is on track (a metric's definition,
#: ODD §4.11); off track is below ``okr.red_pace``.
GREEN = 0.9
#: How many target offers are weighed, and the step between report shadings (ODD §9.2).
TARGET_OFFERS, SHADING_STEP = 23, 0.05

#: A forced distribution's bands, bottom first: (share of the team, score).
Bands = tuple[tuple[float, float], ...]


def target_offers(a: Assumptions) -> tuple[float, ...]:
    """The target offers weighed: 23 evenly spaced from the lowest to the highest (ODD §7.3)."""
    low, high = a.min_target_offer, a.max_target_offer
    step = (high - low) / (TARGET_OFFERS - 1)
    return (*(low + g * step for g in range(TARGET_OFFERS - 1)), high)


def shadings(a: Assumptions) -> tuple[float, ...]:
    """The report shadings weighed: −down … up by 0.05, each end to the nearest 0.05 (§7.7)."""
    down = SHADING_STEP * round(a.max_shading_down / SHADING_STEP)
    up = SHADING_STEP * round(a.max_shading_up / SHADING_STEP)
    count = round((down + up) / SHADING_STEP) + 1
    return tuple(round(-down + g * SHADING_STEP, 2) for g in range(count))


def rank_bands(comp: Comp) -> Bands:
    """The bottom, middle and top bands of a forced distribution (ODD §7.8); the middle scores 1."""
    bottom, top = comp.rank_bottom_share, comp.rank_top_share
    return (
        (bottom, comp.rank_bottom_score),
        (1.0 - bottom - top, 1.0),
        (top, comp.rank_top_score),
    )


def normal_cdf(z: float) -> float:
    """Φ(z)."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def normal_pdf(z: float) -> float:
    """φ_N(z)."""
    return math.exp(-0.5 * z * z) / _SQRT_2PI


@dataclass(frozen=True)
class ScoreCurve:
    """A bonus curve f(a): base + slope·a + Σ s·(a − knot)⁺ + Σ h·𝟙{a ≥ knot} (ODD §7.8)."""

    slope: float = 0.0
    ramps: tuple[tuple[float, float], ...] = ()  # (knot, slope)
    steps: tuple[tuple[float, float], ...] = ()  # (knot, height)
    base: float = 0.0
    blur: float = 0.0  # uncertainty about where the knots are: widens σ in expectations

    @classmethod
    def of(cls, comp: Comp) -> ScoreCurve:
        """The curve of ``comp.bonus_curve`` (ODD §7.8's table)."""
        if comp.bonus_curve == "linear":  # min(a, cap)
            return cls(slope=1.0, ramps=((comp.cap, -1.0),))
        if comp.bonus_curve == "step":  # 1 from the threshold
            return cls(steps=((comp.step_threshold, 1.0),))
        if comp.bonus_curve == "floor_cap":  # 0 below the floor, a up to the cap
            return cls(
                ramps=((comp.floor, 1.0), (comp.cap, -1.0)), steps=((comp.floor, comp.floor),)
            )
        return cls()  # none

    @classmethod
    def rank(cls, peer_mean: float, peer_sd: float, bands: Bands, edge_blur: float) -> ScoreCurve:
        """A forced distribution as a step curve of one's own attainment (ODD §7.8).

        One moves up a band on passing the peers' result at the band's edge,
        q_b = m + s·Φ⁻¹(edge_b), the peers taken as Normal(m, s²); the edges
        are uncertain in a small team, blurring the steps by ``edge_blur``·s
        (``assumptions.edge_uncertainty``).
        """
        steps, edge = [], 0.0
        for (share, score), (_, above) in itertools.pairwise(bands):
            edge += share
            steps.append((peer_mean + peer_sd * NormalDist().inv_cdf(edge), above - score))
        return cls(steps=tuple(steps), base=bands[0][1], blur=edge_blur * peer_sd)

    def __call__(self, a: float) -> float:
        value = self.base + self.slope * a
        value += sum(s * max(a - knot, 0.0) for knot, s in self.ramps)
        value += sum(h for knot, h in self.steps if a >= knot)
        return value

    def expected(self, mu: float, sd: float) -> float:
        """E f(A) for A ~ Normal(mu, sd²), in closed form."""
        sd = max(math.hypot(sd, self.blur), 1e-9)
        value = self.base + self.slope * mu
        for knot, s in self.ramps:
            z = (mu - knot) / sd
            value += s * (sd * normal_pdf(z) + (mu - knot) * normal_cdf(z))
        for knot, h in self.steps:
            value += h * normal_cdf((mu - knot) / sd)
        return value

    def marginal(self, mu: float, sd: float) -> float:
        """dE f(A)/dmu: the expected score per unit of attainment (f′_σ of the Notation)."""
        sd = max(math.hypot(sd, self.blur), 1e-9)
        value = self.slope
        value += sum(s * normal_cdf((mu - knot) / sd) for knot, s in self.ramps)
        value += sum(h * normal_pdf((mu - knot) / sd) / sd for knot, h in self.steps)
        return value


#: E(1 − A)⁺ as a curve: a key result's expected shortfall below its target.
SHORTFALL = ScoreCurve(base=1.0, slope=-1.0, ramps=((1.0, 1.0),))


def spread(values: list[float], floor: float) -> float:
    """The standard deviation of ``values`` (over n), at least ``floor``."""
    centre = sum(values) / len(values)
    return max(math.sqrt(sum((v - centre) ** 2 for v in values) / len(values)), floor)


def relative(x: float, mean: float, spread: float) -> float:
    """``x`` against the mean: ``x / mean``, or ``1 + (x − mean)/spread`` where the mean does
    not stand out of the spread, so that a mean near zero or below inverts nothing (§7.8)."""
    return x / mean if mean >= spread else 1.0 + (x - mean) / spread


def relative_sd(scenario: Scenario, weeks_left: int) -> float:
    """σ_rel(n): the relative uncertainty of the output of the n weeks left (ODD §4.6).

    Blockers add b·severity·√(rate·n)/n, b = ``assumptions.blocker_spread``.
    """
    b, env = scenario.behaviour, scenario.env
    n = max(weeks_left, 1)
    luck = b.luck_sd / math.sqrt(n)
    spread = scenario.assumptions.blocker_spread
    blockers = spread * env.blocker_severity * math.sqrt(env.blocker_rate * n) / n
    return math.sqrt(luck**2 + b.self_knowledge_sd**2 + blockers**2)


def goal_pull(mu: float, sd: float, loss_aversion: float, reach: float) -> float:
    """g = (λ − 1)·P(1 − r_g < A < 1): the goal's pull on a unit of attainment (ODD §7.5).

    ``reach``: r_g, ``assumptions.goal_reach``.
    """
    sd = max(sd, 1e-9)
    within = normal_cdf((mu - 1.0 + reach) / sd) - normal_cdf((mu - 1.0) / sd)
    return (loss_aversion - 1.0) * within


def goal_excess(mu: float, sd: float, loss_aversion: float, reach: float) -> float:
    """E v(A) = (λ − 1)·σ·[G(lower) − G(upper)], G(z) = zΦ(z) + φ(z) (ODD §7.7).

    ``reach``: r_g, ``assumptions.goal_reach``.
    """
    sd = max(sd, 1e-9)
    lower, upper = (mu - 1.0 + reach) / sd, (mu - 1.0) / sd

    def integral(z: float) -> float:
        return z * normal_cdf(z) + normal_pdf(z)

    return (loss_aversion - 1.0) * sd * (integral(lower) - integral(upper))


def audit_outlook(
    pace_seen: float, noise_sd: float, lasting_sd: float, week: int
) -> tuple[float, float]:
    """The pace and the misjudgement at which the audits left are weighed (§7.7).

    The pace due in the middle of the weeks left, (w + 1 + W)/(2W), and progress
    seen at ``pace_seen`` of pace misjudged then by log-sd √(σ_p²·(1 + 1/W − pace)
    + σ_ψ²), in shares of the target.
    """
    pace = (week + 1 + WEEKS_PER_QUARTER) / (2 * WEEKS_PER_QUARTER)
    weekly = noise_sd * noise_sd * (1.0 + 1.0 / WEEKS_PER_QUARTER - pace)
    return pace, pace_seen * pace * math.sqrt(weekly + lasting_sd * lasting_sd)


def audit_checks(rate: float, left: int, found: float) -> float:
    """Audits expected to check a report before one catches it: â·Σ_{j<n} (1 − â·F)^j (§7.7)."""
    return rate * sum(math.pow(1.0 - rate * found, j) for j in range(left))


def audit_found(shading: float, pace: float, tolerance: float, sd: float) -> tuple[float, float]:
    """P(an audit finds Y > τ) and E[Y·1{Y > τ}], Y = s·pace + N(0, sd²) (§7.7)."""
    m = shading * pace
    if sd <= 0.0:
        return (1.0, m) if m > tolerance else (0.0, 0.0)
    d = (m - tolerance) / sd
    return normal_cdf(d), m * normal_cdf(d) + sd * normal_pdf(d)


def blocked_weeks(rate: float, weeks: float) -> float:
    """B(r, n) = (1 − (1 − r)^n)/r: expected weeks a blocker still blocks (ODD §4.6)."""
    r = min(max(rate, 1e-6), 1.0)
    return (1.0 - math.pow(1.0 - r, weeks)) / r


def delay_weeks(self_rate: float, raised_rate: float, weeks: float) -> float:
    """D(n) = 1 + (1 − r_s)·B(r_R, n − 1) − B(r_R, n): the cost of raising a week later."""
    return (
        1.0
        + (1.0 - self_rate) * blocked_weeks(raised_rate, weeks - 1)
        - blocked_weeks(raised_rate, weeks)
    )


def water_fill(
    kr_weight: float, weights: list[float], scales: list[float]
) -> tuple[list[float], float]:
    """The week's split and λ, the marginal value of an hour (ODD §7.5 "The split").

    Maximises w_kr·e_kr + Σ w_j·s_j·(1 − e^{−e_j/s_j}) over the simplex:
    e_j = s_j·ln(w_j/λ)⁺ with λ = w_kr, unless the saturating activities alone
    fill the week, when λ solves Σ_A s_j (ln w_j − ln λ) = 1 over the active set A.
    Returns the shares (key results first) and λ.
    """
    w0 = max(kr_weight, 1e-12)
    logs = [math.log(max(w, 1e-12)) for w in weights]
    log_lam = math.log(w0)
    shares = [s * max(lw - log_lam, 0.0) for lw, s in zip(logs, scales, strict=True)]
    filled = sum(shares) > 1.0  # the saturating activities fill the week: none for key results
    if filled:
        active = [True] * len(logs)
        for _ in logs:
            total = sum(s for s, on in zip(scales, active, strict=True) if on)
            weighted = sum(s * lw for s, lw, on in zip(scales, logs, active, strict=True) if on)
            log_lam = (weighted - 1.0) / total
            active = [lw > log_lam for lw in logs]
        shares = [s * max(lw - log_lam, 0.0) for lw, s in zip(logs, scales, strict=True)]
    return [0.0 if filled else 1.0 - sum(shares), *shares], math.exp(log_lam)


def effort_intensity(
    value: float, cost: float, elasticity: float, ceiling: float, floor: float
) -> float:
    """ξ = clip((λ/κ^e)^ε, floor, ceiling): hours against the convex cost of effort (ODD §7.5).

    ``floor``: ``assumptions.intensity_floor``, the contracted week's presence.
    """
    hours = math.pow(max(value, 1e-12) / cost, elasticity)
    return min(max(hours, floor), max(ceiling, floor))


def habit_share(weeks_between: float, habit_weeks: float) -> float:
    """a = 1 − 0.05^(Δ/H): how far a habitual choice moves towards the best one (ODD §4.3)."""
    if habit_weeks <= 0.0:
        return 1.0
    return 1.0 - math.pow(0.05, weeks_between / habit_weeks)


def seat_factor(tenure_weeks: float, ramp_weeks: int, start: float) -> float:
    """R: 0 while the seat is vacant, then from ``start`` to full over the ramp (ODD §7.6).

    ``start``: ``assumptions.ramp_start``, a newcomer's first week.
    """
    if tenure_weeks < 0:
        return 0.0
    return min(1.0, start + (1.0 - start) * tenure_weeks / ramp_weeks)


def availability(tenure_weeks: float, ramp_weeks: int, start: float) -> float:
    """a_i: the mean ramp over the coming quarter's weeks (ODD §7.9)."""
    weeks = range(WEEKS_PER_QUARTER)
    ramp = sum(seat_factor(tenure_weeks + w, ramp_weeks, start) for w in weeks)
    return ramp / WEEKS_PER_QUARTER


def status(pace_ratio: float, red: float) -> str:
    """A key result's traffic light from progress over the progress due by now (ODD §4.11).

    ``red``: ``okr.red_pace``, the pace below which it shows red.
    """
    if not math.isfinite(pace_ratio):
        return "no_target"
    if pace_ratio >= GREEN:
        return "on_track"
    return "off_track" if pace_ratio < red else "at_risk"


def band(percentile: float, bands: Bands) -> float:
    """The score of the band a percentile of the team (0 bottom, 1 top) falls in (ODD §7.8)."""
    score, edge = bands[0][1], 0.0
    for (share, _), (_, above) in itertools.pairwise(bands):
        edge += share
        if percentile >= edge:
            score = above
    return score
