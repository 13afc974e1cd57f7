/**
 * Observability: the stack's alarm topic (SNS, KMS, e-mail subscriptions), one alarm per failure mode
 * (observability-alarms.ts), EventBridge rules that turn failed Glue runs and training jobs into alarmable metrics,
 * metric filters on the functions' own log groups, the dashboard (observability-dashboard.ts) and the cost budget.
 *
 * It creates no log group: every function, job and stage brings its own (components/log-group.ts) and this
 * component only reads them. See docs/observability.md (metric catalogue) and docs/operations.md (runbook).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { METRICS_NAMESPACE, type MetricName } from "../functions/metric-catalogue";
import type { Encryption } from "./encryption";
import {
  DEFAULT_THRESHOLDS,
  alarmDefinitions,
  glueJobFailurePattern,
  trainingJobFailurePattern,
  type AlarmDefinition,
  type AlarmThresholds,
  type MetricRef,
  type MonitoredResources,
} from "./observability-alarms";
import { dashboardBody } from "./observability-dashboard";
import { policyDocument } from "./policy-documents";

/** Anything with a physical name: a Firehose stream, Glue job, Lambda function, log group, SageMaker endpoint. */
export interface Named {
  readonly name: pulumi.Input<string>;
}

/** A function and its own log group. */
export interface MonitoredFunction {
  readonly function: Named;
  readonly logGroup: Named;
}

export interface ObservabilityArgs {
  /** The stack key; encrypts the alarm topic. Required. */
  readonly key: Encryption;
  /** Region of the dashboard's widgets. Required. */
  readonly region: string;
  /** Stack name prefix (e.g. `warecast-dev`) of the names that must be unique per account: dashboard, budget. */
  readonly namePrefix: string;
  /** E-mail addresses subscribed to the alarm topic (each must confirm). Default none. */
  readonly alarmEmails?: readonly string[];
  /** Alarm thresholds; each field defaults to DEFAULT_THRESHOLDS (observability-alarms.ts). */
  readonly thresholds?: Partial<AlarmThresholds>;
  /** Ingestion: the events stream, and the served-forecast log stream when there is one. Required. */
  readonly ingest: { readonly events: Named; readonly forecastLog?: Named };
  /** The ETL Glue job. Required. */
  readonly etl: { readonly job: Named };
  /**
   * Training: the name prefix of the stack's SageMaker training jobs (required), and the log group of the function
   * that logs each `promotion decision` (the promote λ), whose gate scores become the backtest metrics. Default:
   * no backtest metrics.
   */
  readonly training: { readonly jobNamePrefix: pulumi.Input<string>; readonly decisionLogGroup?: Named };
  /** The SageMaker endpoint and its production variant. `variantName` default "AllTraffic". */
  readonly endpoint: { readonly name: pulumi.Input<string>; readonly variantName?: pulumi.Input<string> };
  /** The public API: REST API name and stage name. Required. */
  readonly api: { readonly name: pulumi.Input<string>; readonly stageName: pulumi.Input<string> };
  /**
   * Lambda functions by a stable id (`predict`, `promote`, ...), each with its own (JSON, Powertools) log group:
   * an error alarm per function and a metric filter counting ERROR log lines as `LoggedErrors`. PrivateFunction
   * has this shape. Default none.
   */
  readonly functions?: Readonly<Record<string, MonitoredFunction>>;
  /** Cost guard: an AWS Budgets monthly cost budget filtered on one cost-allocation tag. Required. */
  readonly budget: {
    readonly monthlyLimitUsd: number;
    /** Cost-allocation tag that selects the stack's costs, e.g. { key: "environment", value: "dev" }. */
    readonly costTag: { readonly key: string; readonly value: string };
  };
}

/** Percentages of the budget at which the topic hears: actual spend, then forecast spend. */
export const BUDGET_NOTIFICATIONS = [
  { notificationType: "ACTUAL", threshold: 80 },
  { notificationType: "FORECASTED", threshold: 100 },
] as const;

/** Services that publish to the alarm topic: CloudWatch alarms, EventBridge failure rules, AWS Budgets. */
export const PUBLISHING_SERVICES = [
  "cloudwatch.amazonaws.com",
  "events.amazonaws.com",
  "budgets.amazonaws.com",
] as const;

/** A metric filter over Powertools JSON log lines. */
export interface JsonMetricFilter {
  readonly id: string;
  readonly pattern: string;
  /** A metric of schemas/metrics.json whose publisher is `log-metric-filter`. */
  readonly metricName: MetricName;
  /** A number, or a `$.field` selector whose value is the metric value. */
  readonly value: string;
  readonly unit: "Count" | "None";
}

/** Every ERROR line a function logs, handled or not. */
export const LOGGED_ERRORS: JsonMetricFilter = {
  id: "logged-errors",
  pattern: '{ $.level = "ERROR" }',
  metricName: "LoggedErrors",
  value: "1",
  unit: "Count",
};

/** The promote λ's `promotion decision` lines carry the gate's challenger and champion backtest scores. */
export const BACKTEST_FILTERS: readonly JsonMetricFilter[] = [
  {
    id: "backtest-challenger",
    pattern: '{ $.message = "promotion decision" && $.gate.challenger = * }',
    metricName: "BacktestScore",
    value: "$.gate.challenger",
    unit: "None",
  },
  {
    id: "backtest-champion",
    pattern: '{ $.message = "promotion decision" && $.gate.champion = * }',
    metricName: "ChampionScore",
    value: "$.gate.champion",
    unit: "None",
  },
];

const ID = /^[a-z][a-z0-9-]{0,39}$/;
const PREFIX = /^[a-z][a-z0-9-]{1,40}$/;

export class Observability extends pulumi.ComponentResource {
  /** The alarm topic: alarms, failure events and the budget publish here. */
  public readonly topic: aws.sns.Topic;
  public readonly topicArn: pulumi.Output<string>;
  /** Alarms by definition id (docs/operations.md has one runbook entry per id). */
  public readonly alarms: Readonly<Record<string, aws.cloudwatch.MetricAlarm>>;
  /** Every alarm's name (what `warecast smoke` reads). */
  public readonly alarmNames: pulumi.Output<string[]>;
  public readonly dashboardName: pulumi.Output<string>;
  public readonly budget: aws.budgets.Budget;

  constructor(name: string, args: ObservabilityArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:observability:Observability", name, {}, opts);
    const thresholds: AlarmThresholds = { ...DEFAULT_THRESHOLDS, ...args.thresholds };
    const functions = args.functions ?? {};
    for (const id of Object.keys(functions)) {
      if (!ID.test(id)) throw new Error(`Observability ${name}: function id "${id}" must match ${ID}`);
    }
    const emails = args.alarmEmails ?? [];
    if (new Set(emails).size !== emails.length)
      throw new Error(`Observability ${name}: alarmEmails has duplicates`);
    const { monthlyLimitUsd, costTag } = args.budget;
    if (!(Number.isFinite(monthlyLimitUsd) && monthlyLimitUsd > 0))
      throw new Error(`Observability ${name}: budget.monthlyLimitUsd must be > 0; got ${monthlyLimitUsd}`);
    if (!PREFIX.test(args.namePrefix))
      throw new Error(`Observability ${name}: namePrefix must match ${PREFIX}; got "${args.namePrefix}"`);
    const parent = { parent: this };

    this.topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: args.key.keyArn }, parent);
    const accountId = aws.getCallerIdentityOutput({}, parent).accountId;
    const topicPolicy = new aws.sns.TopicPolicy(
      `${name}-alarms-policy`,
      {
        arn: this.topic.arn,
        policy: pulumi.all([this.topic.arn, accountId]).apply(([topicArn, account]) =>
          JSON.stringify(
            policyDocument([
              {
                Sid: "AwsServicesPublish",
                Effect: "Allow",
                Principal: { Service: [...PUBLISHING_SERVICES] },
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: { StringEquals: { "aws:SourceAccount": account } },
              },
            ]),
          ),
        ),
      },
      parent,
    );
    for (const email of emails) {
      // Keyed on the address, never on its position, so removing one address leaves the others alone.
      new aws.sns.TopicSubscription(
        `${name}-alarms-${email.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
        { topic: this.topic.arn, protocol: "email", endpoint: email },
        parent,
      );
    }

    // Failed Glue runs and training jobs are events: a rule per kind makes them countable (the alarm) and mails
    // the event's own reason to the topic, which the alarm cannot carry.
    const etlRule = this.failureRule(`${name}-etl-failed`, glueJobFailurePattern(args.etl.job.name), {
      paths: {
        job: "$.detail.jobName",
        run: "$.detail.jobRunId",
        state: "$.detail.state",
        message: "$.detail.message",
      },
      template: "Warecast ETL: Glue run <run> of <job> ended <state> at <time>: <message>",
    });
    const trainingRule = this.failureRule(
      `${name}-training-failed`,
      trainingJobFailurePattern(args.training.jobNamePrefix),
      {
        paths: { job: "$.detail.TrainingJobName", reason: "$.detail.FailureReason" },
        template: "Warecast training: job <job> failed at <time>: <reason>",
      },
    );

    const resources: MonitoredResources<pulumi.Input<string>> = {
      ingest: {
        events: args.ingest.events.name,
        ...(args.ingest.forecastLog ? { forecastLog: args.ingest.forecastLog.name } : {}),
      },
      etl: { jobName: args.etl.job.name, failureRuleName: etlRule.name },
      training: { failureRuleName: trainingRule.name },
      endpoint: { name: args.endpoint.name, variantName: args.endpoint.variantName ?? "AllTraffic" },
      api: { name: args.api.name, stage: args.api.stageName },
      functions: Object.fromEntries(Object.entries(functions).map(([id, fn]) => [id, fn.function.name])),
    };

    const alarms: Record<string, aws.cloudwatch.MetricAlarm> = {};
    for (const def of alarmDefinitions(resources, thresholds)) {
      alarms[def.id] = new aws.cloudwatch.MetricAlarm(
        `${name}-${def.id}`,
        this.alarmArgs(args.namePrefix, def),
        parent,
      );
    }
    this.alarms = alarms;
    this.alarmNames = pulumi.all(Object.values(alarms).map((a) => a.name));

    // Metrics from the functions' own log groups (never a second log group): ERROR lines, and the gate scores.
    for (const [id, fn] of Object.entries(functions)) {
      this.metricFilter(`${name}-${id}-logged-errors`, fn.logGroup, LOGGED_ERRORS);
    }
    const decisions = args.training.decisionLogGroup;
    if (decisions) {
      for (const filter of BACKTEST_FILTERS) this.metricFilter(`${name}-${filter.id}`, decisions, filter);
    }

    const dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: `${args.namePrefix}-health`,
        dashboardBody: pulumi
          .all([pulumi.output(resources), pulumi.all(Object.values(alarms).map((a) => a.arn))])
          .apply(([resolved, alarmArns]) =>
            JSON.stringify(
              dashboardBody({ region: args.region, resources: resolved, thresholds, alarmArns }),
            ),
          ),
      },
      parent,
    );
    this.dashboardName = dashboard.dashboardName;

    this.budget = new aws.budgets.Budget(
      `${name}-budget`,
      {
        name: `${args.namePrefix}-monthly-cost`,
        budgetType: "COST",
        timeUnit: "MONTHLY",
        limitAmount: monthlyLimitUsd.toFixed(2),
        limitUnit: "USD",
        costFilters: [{ name: "TagKeyValue", values: [`user:${costTag.key}$${costTag.value}`] }],
        notifications: BUDGET_NOTIFICATIONS.map((n) => ({
          comparisonOperator: "GREATER_THAN",
          thresholdType: "PERCENTAGE",
          threshold: n.threshold,
          notificationType: n.notificationType,
          subscriberSnsTopicArns: [this.topic.arn],
        })),
      },
      // AWS Budgets checks that it may publish to the topic when the budget is created.
      { parent: this, dependsOn: [topicPolicy] },
    );

    this.topicArn = this.topic.arn;
    this.registerOutputs({
      topicArn: this.topicArn,
      dashboardName: this.dashboardName,
      alarmNames: this.alarmNames,
    });
  }

  private metricFilter(
    filterName: string,
    group: Named,
    filter: JsonMetricFilter,
  ): aws.cloudwatch.LogMetricFilter {
    return new aws.cloudwatch.LogMetricFilter(
      filterName,
      {
        logGroupName: group.name,
        pattern: filter.pattern,
        metricTransformation: {
          namespace: METRICS_NAMESPACE,
          name: filter.metricName,
          value: filter.value,
          unit: filter.unit,
          // Powertools writes the service name into every line: the metric gets the same `service` dimension
          // as the ones Powertools Metrics publishes.
          dimensions: { service: "$.service" },
        },
      },
      { parent: this },
    );
  }

  /** An EventBridge rule matching failure events; its target mails a one-line summary to the topic. */
  private failureRule(
    ruleName: string,
    pattern: object,
    message: { paths: Record<string, string>; template: string },
  ): aws.cloudwatch.EventRule {
    const rule = new aws.cloudwatch.EventRule(
      ruleName,
      { description: message.template.split(":")[0], eventPattern: pulumi.jsonStringify(pattern) },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(
      `${ruleName}-notify`,
      {
        rule: rule.name,
        arn: this.topic.arn,
        inputTransformer: {
          inputPaths: { time: "$.time", ...message.paths },
          inputTemplate: JSON.stringify(message.template),
        },
      },
      { parent: this },
    );
    return rule;
  }

  private alarmArgs(
    namePrefix: string,
    def: AlarmDefinition<pulumi.Input<string>>,
  ): aws.cloudwatch.MetricAlarmArgs {
    const common = {
      // Readable in e-mails and the console, unique per stack, and the runbook's anchor is its suffix.
      name: `${namePrefix}-${def.id}`,
      alarmDescription: `${def.description} Runbook: docs/operations.md#${def.id}`,
      comparisonOperator: def.comparison,
      threshold: def.threshold,
      evaluationPeriods: def.evaluationPeriods,
      datapointsToAlarm: def.datapointsToAlarm,
      treatMissingData: def.treatMissingData,
      alarmActions: [this.topic.arn],
      okActions: [this.topic.arn],
    };
    if (def.metric) return { ...common, ...metricArgs(def.metric) };
    const math = def.math;
    if (!math) throw new Error(`alarm ${def.id}: neither metric nor math`);
    return {
      ...common,
      metricQueries: [
        { id: "alarm", expression: math.expression, label: math.label, returnData: true },
        ...Object.entries(math.metrics).map(([id, m]) => ({
          id,
          returnData: false,
          metric: {
            namespace: m.namespace,
            metricName: m.metricName,
            dimensions: m.dimensions,
            stat: m.stat,
            period: m.period,
          },
        })),
      ],
    };
  }
}

/** A single-metric alarm's metric fields: percentiles go in `extendedStatistic`, the rest in `statistic`. */
function metricArgs(m: MetricRef<pulumi.Input<string>>) {
  const percentile = /^p\d+(\.\d+)?$/.test(m.stat);
  return {
    namespace: m.namespace,
    metricName: m.metricName,
    dimensions: m.dimensions,
    period: m.period,
    ...(percentile ? { extendedStatistic: m.stat } : { statistic: m.stat }),
  };
}
