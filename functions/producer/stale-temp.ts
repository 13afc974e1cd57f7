import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Temporary objects of the local store are named `<pid>-<object name>` in `<root>/.tmp/`, so a writer can tell
 * its own from those of a process that died mid-object (killed ingest): those are partial and never renamed
 * into place, so they are removed when the next writer starts.
 */
export function tempName(objectName: string): string {
  return `${process.pid}-${objectName}`;
}

/** Removes the temporary files in `dir` whose writing process no longer exists; returns their names. */
export async function removeStaleTemp(dir: string): Promise<string[]> {
  const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((name) => {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    return Number.isInteger(pid) && pid > 0 && !alive(pid);
  });
  await Promise.all(stale.map((name) => fs.promises.rm(path.join(dir, name), { force: true })));
  return stale;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
