"""Storage.list_files: the same files, whichever of Hadoop's listings reads them."""

from __future__ import annotations

from pathlib import Path

from etl.storage import ObjectInfo, Storage


def test_local_walk_lists_what_the_recursive_listing_lists(spark, tmp_path: Path) -> None:
    files = {
        "table/warehouse_id=W1/month=2024-01/part-0.parquet": b"a",
        "table/warehouse_id=W1/month=2024-02/part-0.parquet": b"bb",
        "table/warehouse_id=W2/month=2024-01/part-1.parquet": b"ccc",
        "table/top.json": b"{}",
        "table/_staging/run/part-9.parquet": b"hidden",
        "table/warehouse_id=W2/.part-1.parquet.tmp": b"hidden",
        "table/warehouse_id=W2/_SUCCESS": b"",
        "table/empty_dir_follows/x.parquet": b"dddd",
        "other/outside.parquet": b"e",
    }
    for key, content in files.items():
        path = tmp_path / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    (tmp_path / "table" / "no_files_here").mkdir()
    store = Storage(spark, str(tmp_path))

    listed = store.list_files("table/")

    assert listed == [
        ObjectInfo(key="table/empty_dir_follows/x.parquet", size=4),
        ObjectInfo(key="table/top.json", size=2),
        ObjectInfo(key="table/warehouse_id=W1/month=2024-01/part-0.parquet", size=1),
        ObjectInfo(key="table/warehouse_id=W1/month=2024-02/part-0.parquet", size=2),
        ObjectInfo(key="table/warehouse_id=W2/month=2024-01/part-1.parquet", size=3),
    ]
    path = store._Path(store.uri("table/"))
    walked = sorted((s.getPath().toUri().getPath(), s.getLen()) for s in store._walk(path))
    flat = sorted((s.getPath().toUri().getPath(), s.getLen()) for s in store._flat(path))
    assert walked == flat and len(walked) == 8
    assert store.list_files("nothing/") == []
