"""Audit of the descriptions a new user gets: the demo and the shared real data, run end to end.

Runs ``medtrinity``'s pipeline twice into temporary folders: the demo collection, and every shared-data
folder as ``inspect`` configures it, with the placeholders ``run`` refuses filled in as a user would
(modality, label names). ``no_content`` rows are kept (``quality.keep_no_content``) so they are counted.
Prints, per run: rows, per-check failures (the verifier's codes), repeated-sentence share
(1 - distinct sentences / sentences; aim <= 0.3), words per row and per section, how many rows carry
background knowledge, the mutation set (planted mistakes, model-like ones included) over the
written rows and the paraphrase set (each passing description said other ways: every paraphrase must
pass); then the two NIH radiographs with real NIH boxes (regions given only as a box). Usage:
``python benchmarks/description_audit.py [--show N]`` (N descriptions per source).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

SHARED_FOLDERS = ("totalsegmentator", "highdicom", "sam_med2d", "nih_cxr14", "msd_lung_patches", "pyradiomics",
                  "fundus")
# what a user writes into the inspected config after `run` names the placeholder fields
FILL = {
    "sam_med2d": {"modality": "ct"},  # chest, abdomen and pelvis slices: no one body part
    "test_patches": {"modality": "ct", "body_part": "chest", "label_names": {1: "lung tumour"}},
    "pyradiomics": {"modality": "mri", "label_names": {1: "enhancing lesion"}},
    "fundus": {"body_part": "eye"},
}
# a source whose file names state several body parts, split as inspect asks: (file glob, what to set) per part
SPLIT = {
    "pyradiomics": (("brain1_*", {"body_part": "brain"}),
                    ("breast1_*", {"body_part": "breast", "label_names": {1: "breast lesion"}})),
}


def demo_raw(folder: Path) -> dict:
    from medtrinity.datapaths import shared_data_dir
    from medtrinity.demo import demo_sources

    return {"sources": demo_sources(folder / "inputs", shared_data_dir()), "knowledge": {"kb": "builtin"}}


def shared_raw(data: Path) -> dict:
    from medtrinity import inspect

    text, _found = inspect.render([data / name for name in SHARED_FOLDERS if (data / name).exists()])
    raw = yaml.safe_load(text)
    for source in raw["sources"]:
        for key, value in FILL.get(source["name"], {}).items():
            if not source.get(key) or (key == "label_names" and any(
                    str(name).startswith("region ") for name in source[key].values())):
                source[key] = value  # only what inspect left unknown or as a placeholder
    sources = []
    for source in raw["sources"]:
        parts = SPLIT.get(source["name"], ())
        sources += [{**source, "name": f"{source['name']}_{fields['body_part']}",
                     "path": str(Path(source["path"]) / pattern), **fields} for pattern, fields in parts] or [source]
    raw["sources"] = sources
    raw["knowledge"] = {"kb": "builtin"}
    return raw


# NIH's own layout for the boxed audit: both shared radiographs with boxes taken from the real box list
NIH_COLUMNS = ("Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
               "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]")
NIH_ORIGINAL_SIZES = {"00000001_000.png": (2682, 2749), "00027426_000.png": (2582, 2991)}
BOXES_PER_IMAGE = 3


def boxed_raw(data: Path, folder: Path) -> dict:
    """The two NIH radiographs in NIH's layout, each with real boxes of the box list (taken from other images,
    every ``len // 6``-th row, so their labels and sizes are NIH's own), configured by ``inspect``: the rows of
    regions given only as a box, which the shared folders do not hold."""
    import gzip
    import shutil

    from medtrinity import inspect

    with gzip.open(data / "nih_cxr14" / "BBox_List_2017.csv.gz", "rt") as handle:
        box_rows = [line.strip().split(",")[:6] for line in handle.readlines()[1:]]
    step = max(1, len(box_rows) // (BOXES_PER_IMAGE * len(NIH_ORIGINAL_SIZES)))
    chosen = box_rows[::step]
    (folder / "images").mkdir(parents=True)
    table, boxes = [NIH_COLUMNS], ["Image Index,Finding Label,Bbox [x,y,w,h],,,"]
    for number, (name, (width, height)) in enumerate(sorted(NIH_ORIGINAL_SIZES.items())):
        shutil.copy(data / "nih_cxr14" / name, folder / "images" / name)
        rows = chosen[number * BOXES_PER_IMAGE:(number + 1) * BOXES_PER_IMAGE]
        labels = "|".join(sorted({row[1] for row in rows}))
        table.append(f"{name},{labels},0,{number + 1},60,F,PA,{width},{height},0.143,0.143")
        boxes += [",".join([name, *row[1:6]]) for row in rows]
    (folder / "Data_Entry_2017_v2020.csv").write_text("\n".join(table) + "\n")
    (folder / "BBox_List_2017.csv").write_text("\n".join(boxes) + "\n")
    text, _found = inspect.render([folder])
    raw = yaml.safe_load(text)
    raw["knowledge"] = {"kb": "builtin"}
    return raw


def audit(name: str, raw: dict, out: Path, show: int, missed: int = 0) -> dict:
    from medtrinity.config import parse_config
    from medtrinity.quality.checks import ISSUE_CODES
    from medtrinity.quality.placeholders import placeholder_problems
    from medtrinity.quality.textstats import merge_text_stats, shard_text_stats
    from medtrinity.quality.verify import verify_row
    from medtrinity.records import DESCRIPTION_SECTIONS
    from medtrinity.run_folder import read_parquet_folder
    from medtrinity.runner import run_pipeline

    raw = {**raw, "quality": {"keep_no_content": True}}
    config = parse_config(raw)
    problems = placeholder_problems(config)
    if problems:
        raise SystemExit(f"{name}: placeholders left: {problems}")
    run_pipeline(config, out)
    rows = read_parquet_folder(out / "triplets").to_pylist()
    failures: Counter = Counter()
    for row in rows:
        failures.update({issue.code for issue in verify_row(row).issues})
    stats = merge_text_stats([shard_text_stats(row["description_text"] for row in rows)])
    words = {section: sum(len((row["description_sections"] or {}).get(section, "").split()) for row in rows)
             for section in DESCRIPTION_SECTIONS}
    total_words = sum(len(row["description_text"].split()) for row in rows)
    print(f"\n== {name}: {len(rows)} rows from {len({row['source'] for row in rows})} sources")
    print("failing rows per check:")
    for code in ISSUE_CODES:
        print(f"  {code:<24} {failures.get(code, 0):>5}")
    print(f"repeated-sentence share  {stats['repeated_sentence_share']:.3f} (aim <= 0.3)")
    print(f"repeated-skeleton share  {stats['repeated_skeleton_share']:.3f}")
    print(f"words per row            {total_words / max(1, len(rows)):.1f}")
    for section in DESCRIPTION_SECTIONS:
        print(f"  words per row, {section:<11} {words[section] / max(1, len(rows)):.1f}")
    background = sum(1 for row in rows if row.get("description_background"))
    print(f"rows with background knowledge {background} (never in the text)")
    mutation_report(rows, missed)
    by_source: dict[str, list[dict]] = {}
    for row in rows:
        by_source.setdefault(row["source"], []).append(row)
    for source, source_rows in sorted(by_source.items()):
        for row in source_rows[:show]:
            print(f"\n[{source} {row['id']} {row['qc_status']}] {row['description_text']}")
    return {"rows": len(rows), "failures": dict(failures), **stats}


def mutation_report(rows: list[dict], missed: int = 0) -> dict:
    """Plant every mutation type in every row with content (facts read back from the written row)."""
    from medtrinity.quality.facts import SampleFacts
    from medtrinity.quality.mutations import run_mutation_set
    from medtrinity.quality.verify import verify_text

    # rows whose facts are themselves flagged (no content; a mask off its image) are no clean originals
    facts_flags = {"no_content", "attenuation_implausible"}
    cases = [(row["id"], row["description_text"], SampleFacts.from_row(row)) for row in rows
             if not any(issue["code"] in facts_flags for issue in row["qc_issues"])]
    report = run_mutation_set(cases, verify_text)
    print(f"mutation set on these rows: {report['originals']} originals, {len(report['false_alarms'])} false "
          f"alarms, {report['caught']}/{report['planted']} caught ({100 * report['catch_rate']:.1f}%)")
    for name, counts in report["types"].items():
        rate = f"{100 * counts['caught'] / counts['planted']:.1f}%" if counts["planted"] else "-"
        print(f"  {name:<18} {counts['caught']:>4}/{counts['planted']:<4} {rate}")
        for case in counts["missed"][:missed]:
            print(f"    missed in {case['case']} (issues: {', '.join(case['codes']) or 'none'}): {case['text']}")
    paraphrase_report(cases, missed)
    return report


def paraphrase_report(cases: list, shown: int = 0) -> dict:
    """Every passing description said other ways (``quality/paraphrases.py``): each paraphrase must pass."""
    from medtrinity.quality.paraphrases import run_paraphrase_set
    from medtrinity.quality.verify import verify_text

    report = run_paraphrase_set(cases, verify_text)
    alarms = sum(len(counts["false_alarms"]) for counts in report["types"].values())
    print(f"paraphrases of the passing rows: {report['originals']} originals, {report['paraphrased']} paraphrases, "
          f"{alarms} false alarms")
    for name, counts in report["types"].items():
        print(f"  {name:<18} {counts['paraphrased']:>4} paraphrased, {len(counts['false_alarms'])} false alarms")
        for case in counts["false_alarms"][:shown]:
            print(f"    in {case['case']}: {'; '.join(case['issues'])}: {case['text']}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=0, help="descriptions to print per source")
    parser.add_argument("--missed", type=int, default=0, help="planted mistakes let through to print per type")
    args = parser.parse_args()
    from medtrinity.datapaths import shared_data_dir

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        audit("demo", demo_raw(root / "demo"), root / "demo-out", args.show, args.missed)
        data = shared_data_dir()
        if data is None:
            print("shared data folder not found: set MEDTRINITY_DATA", file=sys.stderr)
            return
        audit("shared data", shared_raw(data), root / "shared-out", args.show, args.missed)
        audit("NIH boxes", boxed_raw(data, root / "nih-boxes"), root / "boxes-out", args.show, args.missed)


if __name__ == "__main__":
    main()
