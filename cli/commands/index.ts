import type { Command } from "commander";

/** Each subcommand lives in its own module and registers itself here. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
