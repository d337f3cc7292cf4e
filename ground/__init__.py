"""The ground of the lake: configuration and settings, the engine, the catalogue of every table of every layer,
and the read, write and MERGE helpers. It imports nothing of the project above it."""
