"""Configuration errors, and where each key of the configuration came from, so an error can name the file."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration file or value is missing or malformed. The CLI prints it as
    ``scv: configuration error: <message>`` and exits 2."""


class Origins(dict[str, str]):
    """Dotted configuration key -> the file that set it."""

    def of(self, key: str) -> str:
        """The file that set ``key`` (or the nearest enclosing key); 'configuration' when none did."""
        parts = key.split(".")
        while parts:
            found = self.get(".".join(parts))
            if found:
                return found
            parts.pop()
        return "configuration"

    def error(self, key: str, message: str) -> ConfigError:
        """``<file>: <key>: <message>``, the form every configuration mistake is reported in."""
        return ConfigError(f"{self.of(key)}: {key}: {message}")
