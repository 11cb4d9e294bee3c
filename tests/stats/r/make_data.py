"""Write ``models_data.csv``: invented numbers shared by the Python tests and ``reference.R``.

480 rows = 60 groups x 8 rows. Columns:

- ``group``     cluster id ``g01``..``g60`` (rows sorted by it: geepack needs contiguous clusters)
- ``x1``        standard-normal covariate
- ``ja``        0/1 indicator (alternates within group, so it is within-cluster)
- ``y_ord``     ordinal 1-5 from a logit model, thresholds -1.5, -0.5, 0.5, 1.5, beta = (0.8, -0.6)
- ``y_bin``     0/1 from a logit with a group random intercept (sd 0.8)
- ``n_tokens``  exposure 5..40
- ``y_count``   negative-binomial count (theta 2) with log-rate -2.5 + 0.3 x1 + 0.5 ja + group effect
- ``y_cont``    Gaussian 10 + 1.5 x1 - 0.7 ja + group effect (sd 1.2) + noise (sd 2)

Run: ``python tests/stats/r/make_data.py`` (numpy only; the CSV is committed, regenerate only on purpose).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("models_data.csv")


def main() -> None:
    rng = np.random.default_rng(20240404)
    n_groups, per = 60, 8
    n = n_groups * per
    group = np.repeat(np.arange(1, n_groups + 1), per)
    u = rng.normal(0, 1, n_groups)[group - 1]  # one shared group effect, scaled per outcome
    x1 = np.round(rng.normal(0, 1, n), 4)
    ja = np.tile([0, 1], n // 2)

    eta = 0.8 * x1 - 0.6 * ja
    latent = eta + rng.logistic(0, 1, n)
    y_ord = 1 + np.searchsorted(np.array([-1.5, -0.5, 0.5, 1.5]), latent)

    p_bin = 1 / (1 + np.exp(-(-0.3 + 0.7 * x1 + 0.5 * ja + 0.8 * u)))
    y_bin = (rng.uniform(size=n) < p_bin).astype(int)

    n_tokens = rng.integers(5, 41, n)
    mu = n_tokens * np.exp(-2.5 + 0.3 * x1 + 0.5 * ja + 0.4 * u)
    theta = 2.0
    y_count = rng.poisson(rng.gamma(theta, mu / theta))

    y_cont = np.round(10 + 1.5 * x1 - 0.7 * ja + 1.2 * u + rng.normal(0, 2, n), 4)

    with OUT.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["group", "x1", "ja", "y_ord", "y_bin", "n_tokens", "y_count", "y_cont"])
        for i in range(n):
            w.writerow([f"g{group[i]:02d}", f"{x1[i]:.4f}", ja[i], y_ord[i], y_bin[i], n_tokens[i],
                        y_count[i], f"{y_cont[i]:.4f}"])


if __name__ == "__main__":
    main()
