"""SCV sales intelligence lakehouse: shared configuration, engine and lake access."""

__version__ = "0.1.0"
