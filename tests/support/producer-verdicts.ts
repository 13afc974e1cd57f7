/**
 * The producer's verdict on raw lines, for the shared-rules property test (tests/python/etl/test_shared_rules.py).
 * stdin: {"arrival": ISO time, "lines": [base64 line bytes…]}; stdout: one verdict per line, "valid", a line
 * rule's code (invalid_utf8, invalid_json, …) or "invalid" for a schema or value rule.
 */
import { parseLine } from "../../functions/producer/record-rules";
import { createEventValidator } from "../../functions/producer/schema";

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const { arrival, lines } = JSON.parse(input) as { arrival: string; lines: string[] };
  const validate = createEventValidator(() => new Date(arrival));
  const verdicts = lines.map((b64) => {
    const parsed = parseLine(Buffer.from(b64, "base64"));
    if ("code" in parsed) return parsed.code;
    return validate(parsed.value).length ? "invalid" : "valid";
  });
  process.stdout.write(JSON.stringify(verdicts));
});
