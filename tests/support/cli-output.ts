/**
 * Captures what a `warecast` command writes to stdout and stderr in a jest file, and resets the exit code around
 * each test: `const io = captureCliOutput();` at the top level, then read `io.out`, `io.err`.
 */
export function captureCliOutput(): { out: string; err: string } {
  const io = { out: "", err: "" };
  beforeEach(() => {
    io.out = "";
    io.err = "";
    jest.spyOn(process.stdout, "write").mockImplementation((s) => ((io.out += String(s)), true));
    jest.spyOn(process.stderr, "write").mockImplementation((s) => ((io.err += String(s)), true));
    process.exitCode = undefined;
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.exitCode = undefined;
  });
  return io;
}
