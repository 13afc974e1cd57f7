import searchSpace from "../../model/search_space.json";

/**
 * Training-side constants the component hands to the retrain function: the framework container and the metric
 * definitions SageMaker scrapes from train.py's log.
 */
import trainingMetricsSchema from "../../schemas/training-metrics.schema.json";

/**
 * The SageMaker scikit-learn framework container the model code targets (requirements pin scikit-learn 1.4.2 to
 * match it): it has numpy/pandas/scipy/scikit-learn preinstalled, so nothing is pip-installed at start-up in the
 * private subnets. The same image serves (model_fn/input_fn/predict_fn/output_fn).
 */
export const FRAMEWORK_IMAGE = { repository: "sagemaker-scikit-learn", tag: "1.4-2-cpu-py3" } as const;

/**
 * What that image runs the model on, from its build files (aws/sagemaker-scikit-learn-container, the 1.4-2
 * Python 3.11 Dockerfiles and requirements.txt; scipy is unpinned there, see docs/model-operations.md).
 * requirements/container.in installs exactly these into .venv-container, where the artifact tests train and
 * serve; tests/artifacts/sagemaker.test.ts fails when the tag, the pins or the venv drift apart.
 */
export const FRAMEWORK_IMAGE_CONTENTS = {
  tag: "1.4-2-cpu-py3",
  python: "3.11",
  packages: {
    numpy: "2.1.0",
    pandas: "2.3.2",
    "scikit-learn": "1.4.2",
    scipy: "1.17.0",
    pyarrow: "17.0.0",
    "sagemaker-training": "4.8.0",
    "sagemaker-containers": "2.8.6.post2",
    Flask: "1.1.1",
    Werkzeug: "2.0.3",
  },
} as const;

/** Script-mode entry points: the sourcedir's top-level script, and the module it runs. */
export const TRAINING_ENTRY_POINT = "train.py";
export const TRAINING_MODULE = "model.train";
/** Every artifact carries its inference code under code/ (model/artifact.py). */
export const INFERENCE_ENTRY_POINT = "inference.py";
export const INFERENCE_CODE_DIR = "/opt/ml/model/code";

/**
 * What train.py prints per scored method, `metric <method>_<metric>=<value>`, and the metric definitions scrape:
 * schemas/training-metrics.schema.json's `x-warecast-scraped` (train.py reads it through model/contracts.py).
 */
export const SCRAPED_METRICS: readonly string[] = trainingMetricsSchema["x-warecast-scraped"].metrics;
export const SCORED_METHODS: readonly string[] = trainingMetricsSchema["x-warecast-scraped"].methods;

/** SageMaker metric definitions `backtest:<method>:<metric>`, scraped from train.py's log. */
export function metricDefinitions(): { Name: string; Regex: string }[] {
  return SCORED_METHODS.flatMap((method) =>
    SCRAPED_METRICS.map((metric) => ({
      Name: `backtest:${method}:${metric}`,
      Regex: `metric ${method}_${metric}=([-+0-9.eE]+)`,
    })),
  );
}

/** The tuning objective and search space (model/search_space.json, which model/tune.py reads too). */
export const TUNING_OBJECTIVE = {
  metric: searchSpace.objective.metric,
  type: searchSpace.objective.type as "Minimize" | "Maximize",
};
export const SEARCH_SPACE: Readonly<Record<string, readonly number[]>> = searchSpace.space;

/**
 * What a tuning trial prints on the tuning windows (`metric tuning_model_<metric>=<value>`, model/train.py), as
 * `tuning:model:<metric>`: the objective is one of them.
 */
export function tuningMetricDefinitions(): { Name: string; Regex: string }[] {
  return SCRAPED_METRICS.filter((m) => m !== "mase").map((metric) => ({
    Name: `tuning:model:${metric}`,
    Regex: `metric tuning_model_${metric}=([-+0-9.eE]+)`,
  }));
}
