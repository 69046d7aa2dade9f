"""One TOML configuration for the whole run.

Every stage owns a frozen dataclass of its parameters (defined next to the stage); :class:`Config` composes
them. ``load_config`` reads a TOML file, applies dotted overrides (``policy.cost=5``) and rejects unknown
keys with a suggestion, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigCheck, SegtargetError
from .causal.config import AteConfig, DesignConfig
from .causal.cate.config import CateConfig
from .causal.event.config import EventStudyConfig
from .data.engine import ENGINES, SparkConfig
from .data.registry import is_source, source_specs
from .features.config import FeatureConfig
from .policy.config import PolicyConfig
from .segments.config import SegmentConfig


@dataclass(frozen=True)
class DataConfig:
    """Where the transactions come from."""

    # completejourney | dunnhumby:PATH | tables:PATH, or a source added with register_source (data/registry.py)
    source: str = "completejourney"
    start: str | None = None  # ISO date; inclusive
    end: str | None = None  # ISO date; exclusive
    engine: str = "duckdb"  # where the data-heavy SQL runs: duckdb (in process) | spark (see [spark], docs/scale.md)

    def __post_init__(self):
        c = ConfigCheck("data", self)
        c.holds(is_source(self.source), "source", "one of " + ", ".join(source_specs()))
        c.one_of("engine", ENGINES)
        dates = {}
        for name in ("start", "end"):
            value = getattr(self, name)
            try:
                dates[name] = None if value is None else datetime.datetime.fromisoformat(value)
            except ValueError:
                c.fail(name, "an ISO date (YYYY-MM-DD)", "2017-01-01")
        if dates["start"] and dates["end"]:
            c.holds(dates["start"] < dates["end"], "end", f"after data.start ({self.start}): the window is [start, end)",
                    "2018-01-01")


@dataclass(frozen=True)
class RunConfig:
    """Run-wide settings."""

    seed: int = 42  # every random step derives its seed from this one: same seed, same numbers
    out: str = "results"  # output directory of `segtarget run` (replaced atomically when the run succeeds)
    n_jobs: int = -1  # parallel workers for bootstrap, tuning and refutation refits; -1 = all cores
    parallel_backend: str = "joblib"  # joblib | ray
    # where expensive steps are cached by input fingerprint + config; (unset) = the per-user cache,
    # $XDG_CACHE_HOME/segtarget or ~/.cache/segtarget. Used only if no other user can write it (see `segtarget cache`)
    cache_dir: str | None = None
    # reuse cached steps; false (or --no-cache) recomputes everything. (unset): `segtarget run` caches, the Python
    # API (segtarget.run) caches only when run.cache_dir is set, so a notebook writes nothing it did not ask for
    use_cache: bool | None = None

    def __post_init__(self):
        c = ConfigCheck("run", self)
        c.within("seed", f"[0, {2**31 - 1}]")  # the range every library's random_state accepts
        c.holds(self.n_jobs != 0, "n_jobs", "a number of workers >= 1, or -1 for all cores (-2 all but one, ...)")
        c.one_of("parallel_backend", ("joblib", "ray"))
        c.holds(bool(self.out.strip()), "out", "an output directory")
        c.holds(self.cache_dir is None or bool(self.cache_dir.strip()), "cache_dir", "a directory (switch caching off with run.use_cache=false)")

    @property
    def caching(self) -> bool:
        """Whether the run uses the step cache: ``use_cache`` when set, else only with an explicit ``cache_dir``."""
        return self.use_cache if self.use_cache is not None else self.cache_dir is not None


@dataclass(frozen=True)
class Config:
    run: RunConfig = field(default_factory=RunConfig)
    data: DataConfig = field(default_factory=DataConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    segments: SegmentConfig = field(default_factory=SegmentConfig)
    design: DesignConfig = field(default_factory=DesignConfig)
    ate: AteConfig = field(default_factory=AteConfig)
    cate: CateConfig = field(default_factory=CateConfig)
    event_study: EventStudyConfig = field(default_factory=EventStudyConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    spark: SparkConfig = field(default_factory=SparkConfig)

    def __post_init__(self):
        ConfigCheck("", self)  # each section is its own dataclass, which checked itself


def _suggest(key: str, options: list[str]) -> str:
    close = difflib.get_close_matches(key, options, n=1)
    return f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(sorted(options))})"


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if value is None:
        if type(None) in args:
            return None
        raise SegtargetError(f"config {where}: a value is required")
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], where) if len(inner) == 1 else value
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise SegtargetError(f"config {where}: expected a list, got {value!r}")
        item = args[0] if args else Any
        return tuple(_coerce(v, item, where) for v in value)
    if annotation is bool:
        if isinstance(value, str) and value.lower() in {"true", "false"}:
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise SegtargetError(f"config {where}: expected true or false, got {value!r}")
        return value
    if annotation is int:
        try:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        except (TypeError, ValueError):
            raise SegtargetError(f"config {where}: expected an integer, got {value!r}") from None
    if annotation is float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise SegtargetError(f"config {where}: expected a number, got {value!r}") from None
    if annotation is str:
        return str(value)
    return value


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        if key not in names:
            raise SegtargetError(f"config: unknown key '{where}{key}'{_suggest(key, names)}")
        ann = hints[key]
        if dataclasses.is_dataclass(ann):
            if not isinstance(value, dict):
                raise SegtargetError(f"config: '{where}{key}' must be a table of settings")
            kwargs[key] = _build(ann, value, f"{where}{key}.")
        else:
            kwargs[key] = _coerce(value, ann, f"'{where}{key}'")
    return cls(**kwargs)


def _parse_override(text: str) -> tuple[list[str], Any]:
    if "=" not in text:
        raise SegtargetError(f"override {text!r}: write it as section.key=value, e.g. policy.margin=0.3")
    key, raw = text.split("=", 1)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip().split("."), value


def config_to_dict(cfg: Any) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> Config:
    """Defaults, then the TOML file, then ``section.key=value`` overrides."""
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise SegtargetError(f"config file {path} not found; pass an existing TOML file to --config")
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise SegtargetError(f"config file {path}: invalid TOML ({exc})") from None
    for text in overrides or []:
        keys, value = _parse_override(text)
        node = data
        for k in keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise SegtargetError(f"override {text!r}: '{k}' is not a section")
        node[keys[-1]] = value
    return _build(Config, data, "")


def toml_value(v: Any) -> str:
    """A Python value written as TOML (``(unset)`` for None, which TOML cannot hold)."""
    if v is None:
        return "(unset)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_toml(cfg: Any) -> str:
    """Render a config as TOML (the effective configuration shown by ``segtarget config --show``)."""

    lines: list[str] = []
    for section, values in config_to_dict(cfg).items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            if value is None:
                lines.append(f"# {key} = (unset)")
            else:
                lines.append(f"{key} = {toml_value(value)}")
        lines.append("")
    return "\n".join(lines)
