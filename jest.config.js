/** Transpile-only ts-jest (isolatedModules in tsconfig); type-checking is `tsc --noEmit`, run separately. */
module.exports = {
  // Node, disconnecting the inspector sessions a test file leaves connected (tests/support/environment.ts).
  testEnvironment: "<rootDir>/tests/support/environment.ts",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
  setupFiles: ["<rootDir>/tests/support/env.ts"],
  // Two cores: the default is a single worker.
  maxWorkers: "100%",
  testTimeout: 60000,
};
