import * as fs from "node:fs";
import * as path from "node:path";
import { createEventValidator } from "../../functions/producer/schema";

// docs/events.md shows one example of every event type; they must stay valid against the schema file.
const doc = fs.readFileSync(path.resolve(__dirname, "../../docs/events.md"), "utf8");
const examples = [...doc.matchAll(/```json\n(.*?)\n```/gs)]
  .map((m) => JSON.parse(m[1]) as Record<string, unknown>)
  .filter((e) => "event_type" in e);

describe("docs/events.md examples", () => {
  it("cover every event type the schema allows", () => {
    expect(examples.map((e) => e.event_type).sort()).toEqual([
      "inventory_snapshot",
      "receipt",
      "return",
      "sale",
    ]);
  });

  it.each(examples.map((e) => [e.event_type, e]))("%s example is valid", (_type, example) => {
    expect(createEventValidator()(example)).toEqual([]);
  });

  it("the offset rule it states holds", () => {
    const noOffset = { ...examples[0], occurred_at: "2024-03-01T12:00:00" };
    expect(createEventValidator()(noOffset).join()).toMatch(/occurred_at must match/);
  });
});
