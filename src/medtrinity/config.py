"""YAML -> validated run configuration.

Every setting a run uses lives here with its default, so the resolved config written beside the
outputs says exactly what produced them. Paths in a YAML file are relative to that file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from medtrinity.vocab.modalities import MODALITIES


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid; the message names the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceConfig(_Strict):
    """One input collection: where it is, which reader opens it, and what it shows."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    reader: str
    path: str
    labels: str | None = None
    label_names: dict[int, str] = Field(default_factory=dict)
    label_map: str | None = None
    findings: list[str] | None = None
    modality: str | None = None
    body_part: str = ""
    license: str = ""
    files_per_shard: int = Field(default=16, ge=1)
    # an empty source or a missing labels folder is a config error unless the config says it is expected
    may_be_empty: bool = False
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("modality")
    @classmethod
    def _known_modality(cls, value: str | None) -> str | None:
        if value is not None and value not in MODALITIES:
            raise ValueError(f"modality {value!r} is not one of {', '.join(MODALITIES)}")
        return value


class SlicingConfig(_Strict):
    """Which 2D slices a volume yields: all slices with an ROI plus a sampled share of the others."""

    plane: Literal["axial", "coronal", "sagittal"] = "axial"
    without_roi_fraction: float = Field(default=0.1, ge=0.0, le=1.0)
    max_slices_per_volume: int | None = Field(default=None, ge=1)


class PreprocessConfig(_Strict):
    """Display windowing and resizing.

    ``ct_window`` is a preset name, ``auto`` (chosen by body part) or [center, width] in HU.
    """

    ct_window: str | tuple[float, float] = "auto"
    percentiles: tuple[float, float] = (1.0, 99.0)
    max_size_px: int | None = Field(default=512, ge=16)
    reject_constant_images: bool = True
    # duplicates within a shard: "near" rejects exact copies and, for 2D sources, images whose perceptual
    # hash differs in at most ``near_duplicate_bits`` of 64 bits; "exact" only copies; "keep" none
    duplicates: Literal["near", "exact", "keep"] = "near"
    near_duplicate_bits: int = Field(default=4, ge=0, le=32)
    # "run": after all shards, duplicates across shards and sources are removed too; "shard": within shards only
    duplicates_scope: Literal["run", "shard"] = "run"
    # images of evaluation sets (files, folders, globs, VQA question JSONs) whose near-copies are removed
    evaluation_images: list[str] = Field(default_factory=list)


class ExpertRule(_Strict):
    """Run expert ``name`` on samples of these modalities and body parts (empty = any).

    ``when``: ``no_roi`` runs it only where the source brought no finding; ``no_mask`` where it
    brought no mask (boxes alone still get their anatomy); ``always`` on every matching sample
    (its masks never overwrite provided labels).
    """

    name: str
    modalities: list[str] = Field(default_factory=list)
    body_parts: list[str] = Field(default_factory=list)
    when: Literal["no_roi", "no_mask", "always"] = "no_roi"
    prompt: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class GroundingConfig(_Strict):
    """How masks become ROIs, and which expert models find regions where a source has none."""

    min_area_px: int = Field(default=8, ge=1)
    max_organ_rois: int = Field(default=3, ge=0)
    surround_ring_px: int = Field(default=5, ge=1)
    contrast_threshold: float = Field(default=10.0, ge=0.0)
    # texture: the sd of texture_scale_mm box means inside the region (pixel noise averaged out) above the
    # heterogeneity limit is heterogeneous, below the homogeneity limit homogeneous, between them not stated.
    # In HU on CT; elsewhere in percent of the display image's grey range (0..255), whose defaults are the HU
    # limits seen through a 400 HU soft-tissue window (20 HU = 5%, 10 HU = 2.5%); never on a radiograph
    heterogeneity_sd_hu: float = Field(default=20.0, ge=0.0)
    homogeneity_sd_hu: float = Field(default=10.0, ge=0.0)
    heterogeneity_display_percent: float = Field(default=5.0, ge=0.0, le=100.0)
    homogeneity_display_percent: float = Field(default=2.5, ge=0.0, le=100.0)
    texture_scale_mm: float = Field(default=3.0, gt=0.0)
    neighbour_distance_mm: float = Field(default=5.0, ge=0.0)
    # margin: the share of the lesion-to-surround contrast at its border; from margin_sharpness_limit
    # well-defined, under margin_ill_defined_below ill-defined, between them not stated (an outline a pixel off a
    # sharp edge reads like a blurred edge there)
    margin_sharpness_limit: float = Field(default=0.6, ge=0.0)
    margin_ill_defined_below: float = Field(default=0.45, ge=0.0)
    # "auto": the offline expert of each sample's modality (grounding/experts/auto.py) where no mask was given
    experts: Literal["auto"] | list[ExpertRule] = Field(default_factory=list)
    min_expert_confidence: float = Field(default=0.5, ge=0.0, le=1.0)

    @model_validator(mode="before")
    @classmethod
    def _no_retired_keys(cls, values: Any) -> Any:
        """A key an earlier version wrote (a run's config.resolved.yaml keeps it) is named with what replaced it."""
        if isinstance(values, dict):
            for key, why in _RETIRED_GROUNDING_KEYS.items():
                if key in values:
                    raise ValueError(f"{key}={values[key]!r} was retired: {why}")
        return values

    @model_validator(mode="after")
    def _margin_limits_in_order(self) -> GroundingConfig:
        if self.margin_ill_defined_below > self.margin_sharpness_limit:
            raise ValueError(f"margin_ill_defined_below={self.margin_ill_defined_below} is above "
                             f"margin_sharpness_limit={self.margin_sharpness_limit}: a margin cannot be both")
        return self


_RETIRED_GROUNDING_KEYS = {
    "heterogeneity_cv": "texture off CT-with-HU is the spread of few-mm means on the display image; remove the "
                        "key, or set heterogeneity_display_percent and homogeneity_display_percent",
}


class KnowledgeConfig(_Strict):
    """Which knowledge base to retrieve passages from (``builtin`` = the bundled one, ``none`` = off)."""

    kb: str = "builtin"
    top_k: int = Field(default=3, ge=0)
    dense: bool = False
    model_path: str | None = None


class GenerationConfig(_Strict):
    """Which description backend writes the five sections."""

    backend: str = "composer"
    options: dict[str, Any] = Field(default_factory=dict)


class QualityConfig(_Strict):
    """What the verifier does with a description that contradicts the measurements, and the optional judge.

    ``size_tolerance`` (relative) and ``size_tolerance_mm`` bound how far a stated diameter may be
    from the measured one. ``judge: true`` scores every description with the five-attribute rubric
    through ``judge_backend`` (default: the generation backend) and ``judge_options``. A row with
    nothing grounded (no ROI, no label, no measured organ) goes to rejects as ``no_content`` unless
    ``keep_no_content: true`` keeps it (flagged).
    """

    on_contradiction: Literal["flag", "reject"] = "flag"
    keep_no_content: bool = False
    size_tolerance: float = Field(default=0.2, ge=0.0)
    size_tolerance_mm: float = Field(default=1.5, ge=0.0)
    judge: bool = False
    judge_backend: str | None = None
    judge_options: dict[str, Any] = Field(default_factory=dict)


class LimitsConfig(_Strict):
    """Caps checked from file headers before any decoding: an input over a cap is a ``too_large`` reject.

    They keep a 2 MB file that declares a gigapixel image or a terabyte volume from taking a worker's memory.
    """

    max_pixels_per_image: int = Field(default=100_000_000, ge=1)  # 10000 x 10000
    max_voxels_per_volume: int = Field(default=600_000_000, ge=1)  # 512 x 512 x 2288
    max_array_bytes: int = Field(default=2 * 1024**3, ge=1)  # one decompressed array (image, entry or volume)
    max_tiles_per_slide: int = Field(default=200_000, ge=1)


class PrivacyConfig(_Strict):
    """What happens to images that may show identifiers in their pixels.

    ``keep_burned_in_annotation``: keep images whose DICOM header says ``BurnedInAnnotation=YES``
    (for OCR-based redaction later); by default they are rejected. ``reject_secondary_capture``:
    also reject secondary-capture and screenshot images (SOP class Secondary Capture, ``ImageType``
    containing SECONDARY or SCREEN SAVE) that carry no BurnedInAnnotation tag.
    """

    keep_burned_in_annotation: bool = False
    reject_secondary_capture: bool = False


class RunConfig(_Strict):
    """A whole pipeline run."""

    sources: list[SourceConfig] = Field(min_length=1)
    slicing: SlicingConfig = Field(default_factory=SlicingConfig)
    preprocess: PreprocessConfig = Field(default_factory=PreprocessConfig)
    grounding: GroundingConfig = Field(default_factory=GroundingConfig)
    knowledge: KnowledgeConfig = Field(default_factory=KnowledgeConfig)
    generation: GenerationConfig = Field(default_factory=GenerationConfig)
    quality: QualityConfig = Field(default_factory=QualityConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    seed: int = 0
    case_id_salt: str = "medtrinity"

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, sources: list[SourceConfig]) -> list[SourceConfig]:
        names = [source.name for source in sources]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"source names must be unique; repeated: {duplicated}")
        return sources

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(f"no source named {name!r}")

    def config_hash(self) -> str:
        """Hash of the resolved config: written into every row so a row says what produced it."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)


_PATH_FIELDS = ("path", "labels", "label_map")


def _resolve_paths(raw: dict[str, Any], base: Path) -> dict[str, Any]:
    for source in raw.get("sources") or []:
        if not isinstance(source, dict):
            continue
        for key in _PATH_FIELDS:
            value = source.get(key)
            if isinstance(value, str) and "://" in value:  # an object-store URL (s3://, gs://): kept as written
                continue
            if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
                source[key] = str((base / value).resolve())
            elif isinstance(value, str):
                source[key] = str(Path(value).expanduser())
    preprocess = raw.get("preprocess")
    if isinstance(preprocess, dict) and isinstance(preprocess.get("evaluation_images"), list):
        preprocess["evaluation_images"] = [
            str(base / entry) if isinstance(entry, str) and not Path(entry).expanduser().is_absolute() else entry
            for entry in preprocess["evaluation_images"]
        ]
    return raw


def _plugin_problems(kind: str, name: str, options: dict[str, Any], where: str, name_field: str) -> list[str]:
    """Problems of one plugin choice: an unknown name, or options its model rejects (``<where>.options.<key>: ...``)."""
    from medtrinity.registry import option_problems, registry

    plugins = registry(kind)
    try:
        model = plugins.options_model(name)
    except KeyError as error:
        return [f"{where}.{name_field}: {str(error).strip(chr(39) + chr(34))}"]
    except TypeError as error:
        return [f"{where}.{name_field}: {error}"]
    try:
        model.model_validate(dict(options))
    except ValidationError as error:
        return option_problems(error.errors(), f"{where}.options")
    return []


def plugin_problems(config: RunConfig) -> list[str]:
    """Every plugin named by the config exists and accepts its options; each reader has the fields it needs."""
    from medtrinity.registry import registry

    problems: list[str] = []
    for index, source in enumerate(config.sources):
        where = f"sources[{index}]"
        found = _plugin_problems("readers", source.reader, source.options, where, "reader")
        problems += found
        if not found:
            problems += [f"{where}.{line}" for line in registry("readers").get(source.reader).source_problems(source)]
    rules = config.grounding.experts if isinstance(config.grounding.experts, list) else []  # "auto": built in
    for index, rule in enumerate(rules):
        problems += _plugin_problems("experts", rule.name, rule.options, f"grounding.experts[{index}]", "name")
    generation = config.generation
    problems += _plugin_problems("backends", generation.backend, generation.options, "generation", "backend")
    quality = config.quality
    if quality.judge and quality.judge_backend is not None:
        options = {key: value for key, value in quality.judge_options.items() if key != "prompt_version"}
        problems += [line.replace("quality.options", "quality.judge_options")
                     for line in _plugin_problems("backends", quality.judge_backend, options, "quality",
                                                  "judge_backend")]
    return problems


def parse_config(raw: dict[str, Any], base_dir: Path | None = None) -> RunConfig:
    """Validate a config mapping and every plugin's options; relative source paths are taken from ``base_dir``.

    Every problem becomes one line ``<field path>: <message>`` of the :class:`ConfigError`.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"a config must be a mapping, got {type(raw).__name__}")
    if base_dir is not None:
        raw = _resolve_paths(json.loads(json.dumps(raw)), base_dir)
    try:
        config = RunConfig.model_validate(raw)
    except ValidationError as error:
        from medtrinity.registry import option_problems

        raise ConfigError("\n".join(option_problems(error.errors(), ""))) from error
    problems = plugin_problems(config)
    if problems:
        raise ConfigError("\n".join(problems))
    return config


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a YAML config file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(f"config file {str(path)!r} does not exist") from error
    except yaml.YAMLError as error:
        raise ConfigError(f"config file {str(path)!r} is not valid YAML: {error}") from error
    try:
        return parse_config(raw, path.resolve().parent)
    except ConfigError as error:
        raise ConfigError("\n".join(f"{path}: {line}" for line in str(error).splitlines())) from error
