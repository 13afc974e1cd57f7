"""The container's training entry: script mode through the sagemaker-training toolkit.

It hands the toolkit's view of the job (hyperparameters, channels, paths, all read from the files under
``$SAGEMAKER_BASE_DIR/input/config``) to ``entry_point.run``, which fetches ``sagemaker_submit_directory``
into the code directory and runs ``sagemaker_program`` there as a process with the SM_* variables and
``--name value`` arguments: what the image's own module does (aws/sagemaker-scikit-learn-container,
training.py).
"""

from sagemaker_training import entry_point, environment, runner

__all__ = ["main"]


def main() -> None:
    env = environment.Environment()
    entry_point.run(
        uri=env.module_dir,
        user_entry_point=env.user_entry_point,
        args=env.to_cmd_args(),
        env_vars=env.to_env_vars(),
        runner_type=runner.ProcessRunnerType,
    )
