"""The verifier's checks, one module per claim family, all with one signature (:data:`base.Check`).

================== ================== ==========================================================
module             code               claim
================== ================== ==========================================================
modality           modality_mismatch  another modality's name ("MRI" for a CT)
modality           body_part_mismatch a body region far from the sample's ("brain" for an abdominal CT)
location           organ_mismatch     a lesion placed "within" an organ other than the measured one
enclosure          enclosure_unsupported one structure said to surround (or lie within) another, not so outlined
enclosure          overlap_unsupported an annotation's box said to lie over an organ it is not drawn over
enclosure          adjacency_unsupported one structure said to border another its outline is nowhere near
location           side_mismatch      the patient's left or right against the measured side
location           position_mismatch  "upper/lower/left/right part of the image" opposite to the region
context_places     side_mismatch      a context structure on the other side than its whole outline lies
context_places     direction_mismatch "A lies anterior (posterior, superior, inferior) to B" against their centroids
anatomy            organ_unsupported  an organ no label or measurement names
findings           finding_unsupported a lesion, nodule, mass, opacity ... or a tube, line, implant nothing marks
anatomy            side_mismatch      a sided structure named on the other side than its label
sizes              size_mismatch      a size off the measured one of the piece spoken of
sizes              size_unsupported   a size in mm, mm2 or ml where nothing was measured in it
distances          distance_unsupported how far apart two structures lie ("20 mm from the kidney"): never measured
numbers            number_without_unit a bare number ("measuring 35 x 26", "a mean of 217")
numbers            number_unsupported HU, %, slice counts nothing measured
counts             count_mismatch     "two nodules", "a single lesion" against the ROIs of that label
counts             count_mismatch     "three ribs on the left", "two vertebrae" against the labelled structures
appearance         intensity_mismatch hypo- for hyper- (and "lower than" for "higher than")
appearance         texture_mismatch   homogeneous for heterogeneous
appearance         box_appearance     a shape, margin, texture or intensity said of a region given only as a box
outline            shape_mismatch     round or oval for lobulated or irregular (and the reverse)
outline            margin_mismatch    well-defined for ill-defined (and the reverse)
comparisons        intensity_mismatch one described region brighter / darker / alike than another against both means
comparisons        size_mismatch      one described region larger / smaller / alike than another against both areas
superlatives       size_mismatch      "the largest organ" (structure, finding) where another described one is larger
composition        composition_mismatch fluid, fat, soft-tissue, gas or calcium attenuation a CT region's mean is not
diagnosis          diagnosis_unsupported a disease no label names (also in quoted knowledge)
assessment         assessment_unsupported normal, absent, enlarged or enhancing where nothing measured it
features           assessment_unsupported a lesion's inner feature, compartment, oral contrast or "prominent" unmeasured
technique          assessment_unsupported a view other than recorded; the patient's position, artifacts, image quality
patient            patient_unsupported the patient's age or sex (unrecorded), history, earlier imaging, advice
content            no_content         nothing grounded: no ROI, no label, no measured organ
attenuation        attenuation_implausible a CT structure's mean impossible for its tissue (a mask off its image)
================== ================== ==========================================================
"""

from __future__ import annotations

from medtrinity.quality.checks.anatomy import check_anatomy
from medtrinity.quality.checks.appearance import check_box_appearance, check_intensity, check_texture
from medtrinity.quality.checks.assessment import check_assessment
from medtrinity.quality.checks.attenuation import check_attenuation
from medtrinity.quality.checks.base import Check, ClaimSentence, VerifyOptions, analyse
from medtrinity.quality.checks.comparisons import check_comparisons
from medtrinity.quality.checks.composition import check_composition
from medtrinity.quality.checks.content import check_content, has_content
from medtrinity.quality.checks.context_places import check_context_sides, check_directions
from medtrinity.quality.checks.counts import check_counts, check_structure_counts
from medtrinity.quality.checks.diagnosis import check_diagnosis
from medtrinity.quality.checks.distances import check_distances
from medtrinity.quality.checks.enclosure import check_adjacency, check_enclosure, check_overlap
from medtrinity.quality.checks.features import check_features
from medtrinity.quality.checks.findings import check_findings
from medtrinity.quality.checks.location import check_organ, check_position, check_sides
from medtrinity.quality.checks.modality import check_body_part, check_modality
from medtrinity.quality.checks.numbers import check_measured_numbers, check_units
from medtrinity.quality.checks.outline import check_margin, check_shape
from medtrinity.quality.checks.patient import check_patient
from medtrinity.quality.checks.sizes import check_sizes
from medtrinity.quality.checks.superlatives import check_superlatives
from medtrinity.quality.checks.technique import check_technique

# name -> check, in reporting order
CHECKS: dict[str, Check] = {
    "content": check_content,
    "modality": check_modality,
    "body_part": check_body_part,
    "organ": check_organ,
    "enclosure": check_enclosure,
    "overlap": check_overlap,
    "adjacency": check_adjacency,
    "anatomy": check_anatomy,
    "findings": check_findings,
    "sides": check_sides,
    "position": check_position,
    "context_sides": check_context_sides,
    "directions": check_directions,
    "sizes": check_sizes,
    "distances": check_distances,
    "units": check_units,
    "measured_numbers": check_measured_numbers,
    "counts": check_counts,
    "structure_counts": check_structure_counts,
    "intensity": check_intensity,
    "texture": check_texture,
    "shape": check_shape,
    "margin": check_margin,
    "comparisons": check_comparisons,
    "superlatives": check_superlatives,
    "composition": check_composition,
    "box_appearance": check_box_appearance,
    "diagnosis": check_diagnosis,
    "assessment": check_assessment,
    "features": check_features,
    "technique": check_technique,
    "patient": check_patient,
    "attenuation": check_attenuation,
}

ISSUE_CODES: tuple[str, ...] = (
    "no_content", "modality_mismatch", "body_part_mismatch", "organ_mismatch", "enclosure_unsupported",
    "overlap_unsupported", "adjacency_unsupported", "organ_unsupported", "finding_unsupported", "side_mismatch",
    "position_mismatch",
    "direction_mismatch", "size_mismatch", "size_unsupported", "distance_unsupported", "number_without_unit",
    "number_unsupported", "count_mismatch", "intensity_mismatch",
    "texture_mismatch", "shape_mismatch", "margin_mismatch", "composition_mismatch",
    "box_appearance", "diagnosis_unsupported", "assessment_unsupported", "patient_unsupported",
    "attenuation_implausible",
    "no_description",
)

__all__ = ["CHECKS", "ISSUE_CODES", "Check", "ClaimSentence", "VerifyOptions", "analyse", "has_content"]
