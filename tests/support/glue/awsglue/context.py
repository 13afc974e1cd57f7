"""``awsglue.context.GlueContext``: wraps the job's SparkContext and exposes its SparkSession."""

from pyspark.sql import SparkSession

from awsglue import record

__all__ = ["GlueContext"]


class GlueContext:
    def __init__(self, spark_context) -> None:
        self.spark_context = spark_context
        self.spark_session = SparkSession.builder.getOrCreate()
        record("GlueContext", app=spark_context.appName)
