"""Leaf input/output helpers (importing only records and vocab): atomic writes, PNG, COCO RLE, hashes, image files."""
