/**
 * Where commands print their result (the summary, the table, the JSON): stdout, except while `warecast demo --json`
 * runs them as its stages — then stdout carries only the demo's own JSON, and the stages' results go to stderr.
 */
export const output: { stream: NodeJS.WritableStream } = { stream: process.stdout };

export function printResult(text: string): void {
  output.stream.write(text.endsWith("\n") ? text : text + "\n");
}

/** Runs `work` with results going to `stream`. */
export async function resultsTo<T>(stream: NodeJS.WritableStream, work: () => Promise<T>): Promise<T> {
  const previous = output.stream;
  output.stream = stream;
  try {
    return await work();
  } finally {
    output.stream = previous;
  }
}
