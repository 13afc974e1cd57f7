import { InvalidArgumentError } from "commander";

/** Exit status of every `warecast` command (documented in `warecast --help` and docs/local-mode.md). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A command line that cannot run as given (a bad value, a missing input file): exit status 2. */
export class UsageError extends Error {}

/** An option parser for a positive integer; commander reports its error as a usage error naming the option. */
export function positiveInteger(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw new InvalidArgumentError("expected a positive integer.");
  return Number(value);
}

/** An option parser that accepts the value when `test` passes and names `expected` otherwise. */
export function matching(test: RegExp, expected: string): (value: string) => string {
  return (value) => {
    if (!test.test(value)) throw new InvalidArgumentError(`expected ${expected}.`);
    return value;
  };
}

/** An option parser for a port on 127.0.0.1 (0: any free port). */
export function portNumber(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n > 65535)
    throw new InvalidArgumentError("expected a port number (0-65535).");
  return n;
}
