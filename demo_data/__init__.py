"""``scv demo-data``: a synthetic landing zone (CRM, journey, dialer, stock and retail exports) with planted
ground truth (hotspots, conversion propensities, bad records). Entry points: ``cli`` and
``generator.generate``; docs/demo-data.md describes the output."""
