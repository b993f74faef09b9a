"""The synthetic CT phantom as a source, so a run can be checked against known truth."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from medtrinity.phantom import LABELS, make_ct_phantom
from medtrinity.records import Sample
from medtrinity.registry import PluginOptions
from medtrinity.sources.base import READERS, Reader
from medtrinity.sources.volume import Volume, volume_samples


class PhantomOptions(PluginOptions):
    """Options of the ``phantom`` reader: how many synthetic volumes."""

    cases: int = Field(default=1, ge=1)


@READERS.register("phantom")
class PhantomReader(Reader):
    """Generates ``options.cases`` (default 1) phantom CT volumes; ``path`` is only a name."""

    formats = "synthetic abdominal CT phantom with spherical lesions (no files)"
    Options = PhantomOptions
    volumetric = True
    reads_files = False

    def list_items(self) -> list[str]:
        return [f"phantom-{index:03d}" for index in range(self.options.cases)]

    def read(self, item: str) -> Iterator[Sample]:
        seed = int(item.rsplit("-", 1)[1])
        hu, labels, spacing, _truth = make_ct_phantom(seed)
        names = {**LABELS, **self.source.label_names}
        volume = Volume(data=hu, spacing_xyz_mm=spacing, labels=labels, intensity_unit="HU",
                        metadata={"format": "phantom"})
        yield from volume_samples(
            volume,
            source=self.source,
            config=self.config,
            case_key=item,
            source_file=item,
            label_names=names,
            modality=self.source.modality or "ct",
            body_part=self.source.body_part or "abdomen",
        )
