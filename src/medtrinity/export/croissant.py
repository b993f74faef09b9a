"""Croissant (ML Commons, 1.0) JSON-LD metadata for the Hugging Face export: the Parquet shards as
FileObjects with their checksums plus a FileSet over them, and one RecordSet whose fields point at the
flat and list-of-value Parquet columns (``mlcroissant`` reads its records, images as PIL images). The
nested struct columns are named in the RecordSet's description, not described field by field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from medtrinity.export.card import ExportCounts
from medtrinity.export.citations import licence_id
from medtrinity.export.hf import DATA_FOLDER, hf_schema
from medtrinity.export.run_rows import RunInfo
from medtrinity.io.hashes import file_sha256

CROISSANT_NAME = "croissant.json"

CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "equivalentProperty": "cr:equivalentProperty", "samplingRate": "cr:samplingRate",
    "dct": "http://purl.org/dc/terms/", "citeAs": "cr:citeAs", "column": "cr:column",
    "conformsTo": "dct:conformsTo", "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"}, "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract", "field": "cr:field", "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet", "format": "cr:format", "includes": "cr:includes", "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath", "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField",
    "path": "cr:path", "recordSet": "cr:recordSet", "references": "cr:references", "regex": "cr:regex",
    "repeated": "cr:repeated", "replace": "cr:replace", "separator": "cr:separator", "source": "cr:source",
    "subField": "cr:subField", "transform": "cr:transform",
}

_DATA_TYPES = {"string": "sc:Text", "int32": "sc:Integer", "int64": "sc:Integer", "float64": "sc:Float",
               "bool": "sc:Boolean"}


def _field(name: str, feature: dict) -> dict | None:
    """The Croissant field of one column; None for struct columns (ROIs, passages, evidence, sections...)."""
    entry = {"@type": "cr:Field", "@id": f"triplets/{name}", "name": name,
             "source": {"fileSet": {"@id": "parquet-shards"}, "extract": {"column": name}}}
    if feature.get("_type") == "Image":
        entry["dataType"] = "sc:ImageObject"
        entry["source"]["transform"] = {"jsonPath": "bytes"}
    elif feature.get("_type") == "Value":
        entry["dataType"] = _DATA_TYPES.get(feature["dtype"], "sc:Text")
    elif feature.get("_type") == "List" and feature["feature"].get("_type") == "Value":
        entry["dataType"] = _DATA_TYPES.get(feature["feature"]["dtype"], "sc:Text")
        entry["repeated"] = True
    else:
        return None
    return entry


def croissant_document(root: Path, info: RunInfo, counts: ExportCounts) -> dict:
    """The JSON-LD document for the shards now under ``root/data``."""
    features = json.loads(hf_schema().metadata[b"huggingface"])["info"]["features"]
    shards = sorted((root / DATA_FOLDER).glob("*.parquet"))
    licences = sorted({licence_id(text) for text in counts.licences.values()})
    fields = [entry for name, feature in features.items() if (entry := _field(name, feature)) is not None]
    nested = [name for name, feature in features.items() if _field(name, feature) is None]
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "name": "medtrinity-triplets",
        "description": f"{counts.rows} image - ROI - description triplets from medtrinity {info.pipeline_version} "
                       f"(config hash {info.config_hash}).",
        "license": licences if len(licences) > 1 else (licences[0] if licences else "other"),
        "url": "README.md",
        "version": info.pipeline_version or "0",
        "citeAs": "See README.md, section Sources, licences and citations.",
        "datePublished": datetime.now(UTC).date().isoformat(),
        "distribution": [
            {"@type": "cr:FileObject", "@id": f"shard-{index}", "name": path.name,
             "contentUrl": str(path.relative_to(root)), "encodingFormat": "application/x-parquet",
             "sha256": file_sha256(path), "contentSize": f"{path.stat().st_size} B"}
            for index, path in enumerate(shards)
        ] + [{"@type": "cr:FileSet", "@id": "parquet-shards", "name": "parquet-shards",
              "encodingFormat": "application/x-parquet", "includes": f"{DATA_FOLDER}/*.parquet",
              }],
        "recordSet": [{"@type": "cr:RecordSet", "@id": "triplets", "name": "triplets",
                       "key": {"@id": "triplets/id"},
                       "description": "Flat columns and lists of values. The nested columns "
                                      f"{', '.join(nested)} (lists of structs, structs) are in the same Parquet "
                                      "files; read them with a Parquet reader (columns in docs/formats.md).",
                       "field": fields}],
    }


def write_croissant(root: Path, info: RunInfo, counts: ExportCounts) -> Path:
    path = root / CROISSANT_NAME
    path.write_text(json.dumps(croissant_document(root, info, counts), indent=2) + "\n", encoding="utf-8")
    return path
