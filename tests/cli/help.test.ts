import { buildProgram } from "../../cli/main";

describe("warecast CLI", () => {
  it("describes itself and every registered subcommand in --help", () => {
    const program = buildProgram();
    const help = program.helpInformation();
    expect(help).toContain("Usage: warecast");
    for (const cmd of program.commands) {
      expect(help).toContain(cmd.name());
      expect(cmd.description().length).toBeGreaterThan(10);
    }
  });
});
