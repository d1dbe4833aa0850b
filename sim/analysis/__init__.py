"""Analysis: statistics, effects, targets, calibration, sensitivity, robustness, plots and
reports."""
