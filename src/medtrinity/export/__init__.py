"""Writers of the output folder: Parquet shards, completion markers and the manifest."""
