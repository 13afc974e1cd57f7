import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  classArchive,
  formatManifest,
  sparkEnv,
  sparkSubmitArgs,
  type RunManifest,
} from "../../cli/commands/etl";

const repo = path.resolve(__dirname, "..", "..");

describe("warecast etl", () => {
  it("runs the Glue script itself through a lean local spark-submit, passing only the options given", () => {
    const args = sparkSubmitArgs({
      raw: "ws/raw",
      processed: "ws/processed",
      reprocess: true,
      timeZones: "W1=Europe/Rome",
    });
    expect(args.slice(0, 4)).toEqual(["--master", "local[2]", "--driver-memory", "4g"]);
    expect(args).toContain("spark.ui.enabled=false");
    expect(args).toContain("spark.sql.shuffle.partitions=32");
    expect(args).toContain("spark.sql.adaptive.coalescePartitions.enabled=true");
    expect(args).toContain("spark.sql.maxConcurrentOutputFileWriters=16");
    expect(args).toContain("spark.sql.sources.parallelPartitionDiscovery.threshold=1024");
    const javaOptions = args.find((a) => a.startsWith("spark.driver.extraJavaOptions="));
    expect(javaOptions?.split(" ")).toContain("-XX:+UseSerialGC");
    const script = args.indexOf(path.join(repo, "etl", "job.py"));
    expect(args.slice(script + 1)).toEqual([
      "--raw",
      path.resolve("ws/raw"),
      "--processed",
      path.resolve("ws/processed"),
      "--schema",
      path.join(repo, "schemas", "event.schema.json"),
      "--time-zones",
      "W1=Europe/Rome",
      "--reprocess",
      "true",
    ]);
  });

  it("adds the class archive's option to the driver's JVM options", () => {
    const args = sparkSubmitArgs({ raw: "r", processed: "p" }, ["-XX:SharedArchiveFile=/a.jsa"]);
    const javaOptions = args.find((a) => a.startsWith("spark.driver.extraJavaOptions="));
    expect(javaOptions?.split(" ")).toEqual(
      expect.arrayContaining(["-XX:+UseSerialGC", "-XX:SharedArchiveFile=/a.jsa"]),
    );
  });

  it("records a class archive on the first run, keeps it only if the run succeeds, and uses it after", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-cds-"));
    const java = path.join(dir, "java");
    fs.writeFileSync(java, "");
    fs.mkdirSync(path.join(dir, "spark", "jars"), { recursive: true });
    const spark = path.join(dir, "spark");
    const archives = () => fs.readdirSync(dir).filter((f) => f.startsWith("spark-classes-"));

    const failed = classArchive(dir, spark, java);
    const recording = /^-XX:ArchiveClassesAtExit=(.+)$/.exec(failed.javaOptions[0] ?? "")?.[1];
    expect(recording).toBeDefined();
    fs.writeFileSync(recording as string, "classes"); // what the JVM writes at exit
    failed.finish(false); // the job failed: nothing kept, recording is tried again
    expect(archives()).toEqual([]);
    const afterCommit = classArchive(dir, spark, java);
    expect(afterCommit.javaOptions[0]).toMatch(/^-XX:ArchiveClassesAtExit=/);
    afterCommit.finish(false, true); // committed, then spark-submit failed: the archive could not be written
    expect(archives()).toEqual([expect.stringMatching(/^spark-classes-[0-9a-f]{16}\.jsa\.off$/)]);
    // After that, runs go without an archive until the mark is deleted.
    expect(classArchive(dir, spark, java).javaOptions).toEqual([]);
    fs.rmSync(path.join(dir, archives()[0]));

    const first = classArchive(dir, spark, java);
    fs.writeFileSync(/^-XX:ArchiveClassesAtExit=(.+)$/.exec(first.javaOptions[0])?.[1] as string, "classes");
    first.finish(true);
    const [archive] = archives();
    expect(archive).toMatch(/^spark-classes-[0-9a-f]{16}\.jsa$/);

    expect(classArchive(dir, spark, java).javaOptions).toEqual([
      `-XX:SharedArchiveFile=${path.join(dir, archive)}`,
    ]);
    // Another java binary: another archive.
    const other = path.join(dir, "java2");
    fs.writeFileSync(other, "");
    expect(classArchive(dir, spark, other).javaOptions[0]).toMatch(/^-XX:ArchiveClassesAtExit=/);
    // A Spark conf directory with files in it (SPARK_CONF_DIR): no archive, recorded or used.
    const conf = path.join(dir, "conf");
    fs.mkdirSync(conf);
    fs.writeFileSync(path.join(conf, "spark-defaults.conf"), "");
    expect(classArchive(dir, spark, java, conf).javaOptions).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("passes a chosen driver heap through", () => {
    const args = sparkSubmitArgs({ raw: "r", processed: "p", driverMemory: "8g" });
    expect(args.slice(2, 4)).toEqual(["--driver-memory", "8g"]);
  });

  it("uses the venv's pyspark and Python, with the repository on PYTHONPATH", () => {
    const env = sparkEnv();
    expect(env.PYSPARK_PYTHON).toBe(path.join(repo, ".venv", "bin", "python"));
    expect(env.SPARK_HOME).toMatch(/\.venv\/lib\/python3\.\d+\/site-packages\/pyspark$/);
    expect(env.PYTHONPATH).toBe(repo);
  });

  it("prints the manifest's measured counts", () => {
    const manifest: RunManifest = {
      run_id: "r1",
      mode: "incremental",
      duration_seconds: 12.34,
      objects: [{ key: "events/dt=2024-01-01/a.ndjson.gz", size: 10 }],
      records_in: 10,
      valid: 7,
      quarantined: 2,
      quarantined_by_reason: { invalid_json: 1, "pattern:sku": 1 },
      duplicates: 1,
      duplicates_by_kind: { within_run: 1, earlier_runs: 0 },
      demand_rows_written: 5,
      partitions_rewritten: 2,
      series_state_rows: 3,
    };
    expect(formatManifest(manifest)).toBe(
      [
        "run r1 (incremental, 12.3 s): 1 raw object(s)",
        "  records in      10",
        "  valid           7",
        "  quarantined     2 (invalid_json 1, pattern:sku 1)",
        "  duplicates      1 (within_run 1, earlier_runs 0)",
        "  demand rows     5 in 2 partition(s)",
        "  series state    3",
      ].join("\n"),
    );
    const unreadable = [
      { key: "events/dt=2024-01-01/b.ndjson.gz", reason: "unreadable_object:EOFError", complete_lines: 4 },
    ];
    expect(
      formatManifest({ ...manifest, unreadable_objects: unreadable })
        .split("\n")
        .at(-1),
    ).toBe(
      "  unreadable      events/dt=2024-01-01/b.ndjson.gz (unreadable_object:EOFError, 4 complete lines kept)",
    );
  });
});
