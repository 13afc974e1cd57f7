/** Typed stack config: the one place that reads and validates config. See docs/configuration.md. */
export { ConfigError, coerce, loadStackConfig, pulumiConfigReader, stackConfigSchema } from "./load";
export type { ConfigReader, StackConfig } from "./load";
export { LOG_RETENTION_DAYS, allSettings, configKey, sections } from "./sections";
export type { SectionName } from "./sections";
export type { PulumiConfigType, Setting, YamlValue } from "./settings";
