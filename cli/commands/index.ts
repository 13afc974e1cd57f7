import type { Command } from "commander";
import { register as backtest } from "./backtest";
import { register as demo } from "./demo";
import { register as etl } from "./etl";
import { register as importCommand } from "./import";
import { register as ingest } from "./ingest";
import { register as model } from "./model";
import { register as policyCheck } from "./policy-check";
import { register as serve } from "./serve";
import { register as smoke } from "./smoke";
import { register as train } from "./train";
import { register as tune } from "./tune";

/** Each subcommand lives in its own module and registers itself here. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  demo,
  etl,
  ingest,
  importCommand,
  policyCheck,
  serve,
  smoke,
  model,
  train,
  backtest,
  tune,
];
