"""Check a workflow configuration file the way the workflow will, before anything runs.

Usage: ``python scripts/tools/check_config.py config/my.yaml`` (``make check-config
CONFIG=config/my.yaml``). Like ``snakemake --configfile config/my.yaml``, the
file's values are laid over ``config/config.yaml`` (the workflow's default), then
validated against ``workflow/schemas/config.schema.yaml`` (defaults filled) and
the cross-key checks of ``qhnet.experiments.config``. Unlike Snakemake's own
loader, a YAML syntax error (a tab, an unclosed bracket) is reported with its
file, line and column. Exit status 0 when the configuration can run, 1 otherwise,
with one message naming the key. ``--print-results`` prints the configured
results directory.
"""

import argparse
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))

from qhnet.experiments.config import ConfigError, check_config  # noqa: E402

DEFAULT = REPO / "config" / "config.yaml"
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


def load_yaml(path: Path) -> dict:
    """A YAML mapping, or SystemExit with ``file:line:column: problem``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SystemExit(f"error: cannot read config file {str(path)!r}: {err.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(err, "problem", None) or str(err)
        hint = " (YAML does not allow tabs for indentation)" if "\t" in text else ""
        raise SystemExit(f"error: {where}: invalid YAML: {problem}{hint}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SystemExit(f"error: {path}: a config file must be a mapping of keys to values")
    return data


def resolve(path: Path) -> dict:
    """The configuration Snakemake would run: ``path`` laid over the default, validated."""
    from snakemake.utils import update_config, validate

    config = load_yaml(DEFAULT)
    if path.resolve() != DEFAULT.resolve():
        update_config(config, load_yaml(path))
    try:
        validate(config, str(SCHEMA))
    except Exception as err:  # snakemake.WorkflowError with the schema's message
        raise SystemExit(f"error: {path}: {str(err).strip()}") from None
    try:
        check_config(config)
    except ConfigError as err:
        raise SystemExit(f"error: {path}: {err}") from None
    return config


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("config", type=Path, help="the configuration file to check")
    ap.add_argument(
        "--print-results", action="store_true", help="print the results directory and exit"
    )
    a = ap.parse_args(argv)
    config = resolve(a.config)
    if a.print_results:
        print(config["results"].rstrip("/"))
    else:
        print(f"{a.config}: OK")


if __name__ == "__main__":
    main()
