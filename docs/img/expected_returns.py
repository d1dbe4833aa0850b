"""Draw docs/img/expected_returns.png: MC uptake and the expected MC premium when employers stop
paying the premium, with students who see it 12 months late (ODD section 3.3.13).

Run from the repository root: ``.venv/bin/python docs/img/expected_returns.py`` (about a minute).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sim.experiments.simulate import run_scenario
from sim.inputs.scenario import load_scenario

SEEDS = (1, 2, 3)
RUN = {"students": 10_000, "months": 72}
LAGGED = {"students.expectation_lag_months": 12, "students.expectation_weight": 0.3}
CASES = {  # label: (scenario, elasticity)
    "baseline": ("baseline", 5.0),
    "no premium, elasticity 0": ("no_employer_premium", 0.0),
    "no premium, elasticity 0.1 (default)": ("no_employer_premium", 0.1),
    "no premium, elasticity 5": ("no_employer_premium", 5.0),
}


def mean_columns(scenario: str, elasticity: float) -> dict[str, np.ndarray]:
    """Mean over seeds of the columns the figure draws."""
    params = LAGGED | {"students.return_elasticity": elasticity}
    spec = load_scenario(scenario).with_params(params).with_run(**RUN)
    names = ("mc_holder_share", "expected_mc_premium", "realised_mc_premium")
    runs = [run_scenario(spec, seed, groups=False).metrics for seed in SEEDS]
    return {n: np.nanmean([np.asarray(r.column(n)) for r in runs], axis=0) for n in names}


def main() -> None:
    data = {label: mean_columns(*case) for label, case in CASES.items()}
    months = np.arange(1, RUN["months"] + 1)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5.5), sharex=True)
    for label, cols in data.items():
        bottom.plot(months, cols["mc_holder_share"], label=label)
    for label in ("baseline", "no premium, elasticity 5"):
        (line,) = top.plot(months, data[label]["expected_mc_premium"], label=f"expected, {label}")
        top.plot(months, data[label]["realised_mc_premium"], lw=0.6, alpha=0.5,
                 color=line.get_color(), label=f"realised, {label}")  # fmt: skip
    top.axvline(12.5, color="grey", lw=0.8, ls=":")
    top.set_ylabel("MC premium (share of pay)")
    top.legend(fontsize=7)
    bottom.set_ylabel("MC holders / enrolled")
    bottom.set_xlabel("month (premium removed from month 1; students see it 12 months late)")
    bottom.legend(fontsize=7)
    fig.suptitle(
        f"Students responding to the MC premium they see (lag 12, weight 0.3; "
        f"{RUN['students']:,} students, mean of {len(SEEDS)} seeds)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(Path(__file__).with_suffix(".png"), dpi=90)


if __name__ == "__main__":
    main()
