"""hiresim: a hiring-impact simulator of students, employers and universities.

Data flows top to bottom: ``params`` (registry) -> ``scenario`` (TOML, policies) -> ``model``
(Mesa model with vectorized student arrays) -> ``simulate`` (one run, Arrow tables) -> ``runner``
and ``store`` (many runs, Parquet) -> ``compare``, ``plots``, ``report``, ``calibrate``.
"""

__version__ = "0.3.0"
