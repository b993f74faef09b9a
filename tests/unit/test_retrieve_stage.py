"""What the retrieve stage asks the knowledge base: findings and image labels, never placeholders."""

import numpy as np

from medtrinity.config import parse_config
from medtrinity.knowledge.query import query_labels, sample_query
from medtrinity.records import ROI, Sample
from medtrinity.stages import StageContext, retrieve


def _sample(rois=(), image_labels=()):
    return Sample(id="s", source="s", case_id="c", modality="ct", body_part="abdomen", pixels=np.zeros((4, 4)),
                  rois=list(rois), image_labels=list(image_labels))


def _roi(label, kind, organ=""):
    return ROI(label=label, kind=kind, bbox_xyxy=(0, 0, 1, 1), mask_rle={"size": [4, 4], "counts": "0"},
               area_px=1, area_mm2=None, centroid_xy=(0.5, 0.5), containing_organ=organ)


def test_findings_and_image_labels_make_the_query_with_their_organs():
    sample = _sample([_roi("liver lesion", "lesion", "liver"), _roi("spleen", "organ")], ["Effusion"])
    assert query_labels(sample) == ["Effusion", "liver lesion"]
    query = sample_query(sample)
    assert query.startswith("CT abdomen") and "liver lesion" in query and "spleen" not in query


def test_organs_placeholders_and_no_finding_make_no_query():
    assert query_labels(_sample([_roi("spleen", "organ")])) == []
    assert query_labels(_sample([_roi("region 1", "lesion"), _roi("overlay region 2", "lesion")])) == []
    assert query_labels(_sample(image_labels=["No Finding"])) == []
    sample = _sample([_roi("spleen", "organ")])
    config = parse_config({"sources": [{"name": "s", "reader": "phantom", "path": "phantom"}],
                           "knowledge": {"kb": "builtin", "top_k": 3}})
    context = StageContext()
    assert retrieve.build(config, context).run(sample).passages == []
    assert context.notes.of("retrieve") == {"no_query_labels": 1}
