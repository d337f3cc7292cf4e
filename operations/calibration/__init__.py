"""``scv calibrate``: fitting the score's component weights on the network's own history (docs/calibration.md)."""
