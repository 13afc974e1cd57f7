// @ts-check
const js = require("@eslint/js");
const tseslint = require("typescript-eslint");
const pulumi = require("@pulumi/eslint-plugin");

module.exports = tseslint.config(
  {
    ignores: [
      "node_modules/**",
      ".venv/**",
      ".warecast/**",
      "test-artifacts/**",
      "bench/out/**",
      ".build/**",
      "web/static/vendor/**",
      "**/*.js",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
    plugins: { pulumi },
    rules: {
      // Outputs interpolated into template literals become "[object Object]" warnings at deploy time.
      "pulumi/no-output-in-template-literal": "error",
      "pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
);
