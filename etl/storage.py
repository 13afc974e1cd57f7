"""File access through Spark's Hadoop FileSystem: the same calls for a local directory and for s3:// in Glue.

Only small things go through here (listings, manifests, the calendar); data is read and written by Spark.
"""

from __future__ import annotations

import os
import posixpath
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pyspark.sql import SparkSession

__all__ = ["ObjectInfo", "Storage", "root_uri"]


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    """Path relative to the store's root, e.g. ``events/dt=2024-01-01/x.ndjson.gz``."""
    size: int


def root_uri(location: str) -> str:
    """A local path becomes an absolute ``file:`` URI; URIs (s3://, file:) are kept."""
    if "://" in location or location.startswith("file:"):
        return location.rstrip("/")
    return "file://" + os.path.abspath(location).rstrip("/")


class Storage:
    """One store (raw or processed) rooted at a directory or bucket prefix."""

    def __init__(self, spark: SparkSession, location: str) -> None:
        self.root = root_uri(location)
        self.spark = spark
        jvm = spark.sparkContext._jvm
        self._jvm = jvm
        self._Path = jvm.org.apache.hadoop.fs.Path
        self._root_path = self._Path(self.root)
        self._fs = self._root_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        self._root_prefix = self._root_path.toUri().getPath().rstrip("/")
        # No .crc side files next to manifests in local mode (other readers list runs/ too).
        self._fs.setWriteChecksum(False)

    def uri(self, key: str = "") -> str:
        return f"{self.root}/{key}" if key else self.root

    def exists(self, key: str) -> bool:
        return bool(self._fs.exists(self._Path(self.uri(key))))

    def list_files(self, prefix: str) -> list[ObjectInfo]:
        """Every file under ``prefix`` (recursively), skipping hidden and temporary ones below it (.x, _x)."""
        path = self._Path(self.uri(prefix))
        if not self._fs.exists(path):
            return []
        # Hadoop's recursive listFiles is one flat listing on S3, but on the local file system it builds
        # each file's LocatedFileStatus with its permissions, which Hadoop without its native library reads
        # by running `ls -ld` once per file: 7 s for demand_daily's 465 files at 5M events
        # (bench/etl/RESULTS.md). A walk of plain listStatus calls reads no permissions locally (and would be
        # a listing per directory on S3).
        statuses = self._walk(path) if self._fs.getScheme() == "file" else self._flat(path)
        found = []
        for status in statuses:
            full = status.getPath().toUri().getPath()
            key = full[len(self._root_prefix) :].lstrip("/")
            below = key[len(prefix) :] if key.startswith(prefix) else key
            if any(part.startswith((".", "_")) for part in below.split("/")):
                continue
            found.append(ObjectInfo(key=key, size=int(status.getLen())))
        return sorted(found, key=lambda o: o.key)

    def _flat(self, path) -> Iterator[Any]:
        """The file statuses under ``path``, from Hadoop's recursive listing."""
        iterator = self._fs.listFiles(path, True)
        while iterator.hasNext():
            yield iterator.next()

    def _walk(self, path) -> Iterator[Any]:
        """The file statuses under ``path``, one listStatus call per directory."""
        for status in self._fs.listStatus(path):
            if status.isDirectory():
                yield from self._walk(status.getPath())
            else:
                yield status

    def list_dirs(self, prefix: str) -> list[str]:
        """Names of the directories directly under ``prefix``."""
        path = self._Path(self.uri(prefix))
        if not self._fs.exists(path):
            return []
        return sorted(s.getPath().getName() for s in self._fs.listStatus(path) if s.isDirectory())

    def read_text(self, key: str) -> str:
        stream = self._fs.open(self._Path(self.uri(key)))
        try:
            reader = self._jvm_reader(stream)
            chunks = []
            line = reader.readLine()
            while line is not None:
                chunks.append(line)
                line = reader.readLine()
            return "\n".join(chunks)
        finally:
            stream.close()

    def write_text(self, key: str, text: str) -> None:
        """Writes a new small object all at once: to a hidden temporary name, then renamed into place (an S3
        object appears whole; a local rename is atomic), so a crash never leaves half a manifest."""
        directory, _, name = key.rpartition("/")
        temporary = f"{directory}/.{name}.{uuid.uuid4().hex}.tmp" if directory else f".{name}.tmp"
        stream = self._fs.create(self._Path(self.uri(temporary)), True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()
        self.delete(key)
        self.rename(temporary, key)

    def delete(self, key: str) -> None:
        """Deletes a file or a directory tree; a missing one is fine."""
        self._fs.delete(self._Path(self.uri(key)), True)

    def rename(self, source: str, target: str) -> None:
        """Moves one file (on S3 a copy, then a delete of the source); the target's directory is created."""
        self.make_dirs(posixpath.dirname(target))
        if not self.move(source, target):
            raise OSError(f"cannot move {self.uri(source)} to {self.uri(target)}")

    def make_dirs(self, key: str) -> None:
        """Creates a directory and its parents (a :meth:`move` target's directory must exist)."""
        self._fs.mkdirs(self._Path(self.uri(key)))

    def move(self, source: str, target: str) -> bool:
        """Moves one file into an existing directory (on S3 a copy, then a delete of the source); False when
        nothing moved (no such source). Three calls into the JVM: a run's commit makes one per file."""
        return bool(self._fs.rename(self._Path(self.uri(source)), self._Path(self.uri(target))))

    def delete_empty_dirs(self, prefix: str) -> None:
        """Removes the directories under ``prefix`` that hold no file any more (local stores keep them)."""

        def prune(path) -> bool:
            empty = True
            for status in self._fs.listStatus(path):
                if status.isDirectory():
                    if prune(status.getPath()):
                        self._fs.delete(status.getPath(), True)
                    else:
                        empty = False
                else:
                    empty = False
            return empty

        path = self._Path(self.uri(prefix))
        if self._fs.exists(path):
            prune(path)

    def _jvm_reader(self, stream):
        return self._jvm.java.io.BufferedReader(self._jvm.java.io.InputStreamReader(stream, "UTF-8"))
