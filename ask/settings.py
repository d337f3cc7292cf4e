"""The ``ask`` configuration section, typed and checked (a mistake names the file and the key)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ground.config import Config


class AskSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    use_model: bool
    timeout_s: float = Field(gt=0)
    max_rounds: int = Field(ge=1, le=5)
    max_tokens: int = Field(ge=50)
    max_chars: int = Field(ge=100)


def ask_settings(config: Config) -> AskSettings:
    try:
        return AskSettings.model_validate(config.raw.get("ask"))
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(["ask", *(str(p) for p in first["loc"])])
        raise config.error(key, str(first["msg"])) from None
