"""Records round-trip: ROI <-> dict <-> the Arrow ROI struct, StageStats <-> dict, and StageStats adds."""

from __future__ import annotations

from dataclasses import fields

import pyarrow as pa
import pytest

from medtrinity.records import ROI
from medtrinity.schema import ROI_TYPE, roi_to_row
from medtrinity.stats import StageStats, merge_stage_dicts

_ARROW_KIND = {int: (pa.types.is_integer,), float: (pa.types.is_floating,), str: (pa.types.is_string,)}


def _roi() -> ROI:
    return ROI(
        label="liver lesion", kind="lesion", bbox_xyxy=(3, 4, 20, 31), mask_rle={"size": [64, 48], "counts": "a3b2"},
        area_px=211, area_mm2=130.25, centroid_xy=(11.5, 17.25), label_value=2, instance=1,
        largest_diameter_mm=19.5, perpendicular_diameter_mm=12.0, shape="oval", circularity=0.81, solidity=0.97,
        eccentricity=0.6, region="upper left", patient_side="right", patient_direction=["anterior", "right"],
        containing_organ="liver", organ_part="right lobe", neighbours=["gallbladder", "kidney"],
        mean_intensity=45.5, intensity_unit="HU", contrast_to_surround=-30.0, intensity_word="hypodense",
        intensity_sd=8.5, texture="homogeneous", margin="well-defined", margin_sharpness=0.8, colour="",
        count_same_label=2, volume_ml=4.5, slices_spanned=7, largest_slice_index=12, origin="chest_xray 1",
        confidence=0.9, measurements={"cardiothoracic_ratio": 0.48, "costophrenic_angle_visible": 1.0},
    )


def test_the_arrow_roi_struct_has_exactly_the_dataclass_fields():
    assert set(ROI_TYPE.names) == {field.name for field in fields(ROI)}


def test_the_arrow_types_agree_with_the_dataclass_values():
    row = _roi().to_dict()
    for field in ROI_TYPE:
        value = row[field.name]
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (int, float, str)):
            checks = _ARROW_KIND[type(value)]
            assert any(check(field.type) for check in checks), (field.name, field.type, value)
        elif isinstance(value, list):
            assert pa.types.is_list(field.type) or pa.types.is_fixed_size_list(field.type), field.name
        else:
            assert pa.types.is_struct(field.type), field.name


def test_roi_round_trips_through_a_dict_and_through_arrow():
    roi = _roi()
    assert ROI.from_dict(roi.to_dict()) == roi
    stored = pa.array([roi_to_row(roi)], type=ROI_TYPE).to_pylist()[0]
    assert ROI.from_dict(stored) == roi
    assert isinstance(ROI.from_dict(stored).bbox_xyxy, tuple)


def test_roi_from_dict_names_an_unknown_field():
    with pytest.raises(ValueError, match="unknown ROI field.*diameter_cm"):
        ROI.from_dict({**_roi().to_dict(), "diameter_cm": 2.0})


def test_stage_stats_add_and_round_trip():
    first = StageStats(samples_in=5, samples_out=3, rejected=2, reasons={"blank_image": 2}, notes={"no_roi": 1},
                       seconds=0.5)
    second = StageStats(samples_in=4, samples_out=4, notes={"no_roi": 2, "qc_flag": 1}, seconds=0.25)
    total = first + second
    assert total == StageStats(samples_in=9, samples_out=7, rejected=2, reasons={"blank_image": 2},
                               notes={"no_roi": 3, "qc_flag": 1}, seconds=0.75)
    assert StageStats.from_dict(total.to_dict()) == total
    assert merge_stage_dicts([{"ground": first.to_dict()}, {"ground": second.to_dict()}]) == {"ground": total.to_dict()}


def test_a_later_removal_moves_counts_from_out_to_rejected():
    stats = StageStats(samples_in=10, samples_out=10)
    stats.remove_later("duplicate_image", 3)
    assert (stats.samples_out, stats.rejected, stats.reasons) == (7, 3, {"duplicate_image": 3})
