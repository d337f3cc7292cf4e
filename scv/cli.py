"""The ``scv`` command. Each subcommand lives in the module that owns it and exposes two functions:
``add_arguments(parser)`` and ``run(args, config) -> int`` (the exit code)."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from ground.config import ConfigError, load_config

SUBCOMMANDS = {
    "demo-data": ("demo_data.cli", "write a synthetic landing zone and its ground truth"),
    "nightly": ("jobs.nightly", "run ingest, bronze, silver, gold and scoring for a date or a range"),
    "run-night": ("operations.run_night", "the whole night for a scheduler: nightly, then alerts, then maintenance"),
    "alert": ("alert_agent.cli", "rank hotspots, render and send the leadership email"),
    "app": ("app.cli", "start the field app"),
    "ask": ("ask.cli", "a question in plain words, answered from the gold tables with the numbers to check"),
    "status": ("operations.status", "last runs, table versions, row counts, data quality and quarantine"),
    "evaluate": ("operations.evaluate", "score hotspot flags and opportunity scores against the planted truth"),
    "calibrate": ("operations.calibrate", "fit the score's weights on the score history; propose or adopt them"),
    "maintain": ("operations.maintain", "compact small files and vacuum old ones in every lake table"),
    "mapping": ("operations.mapping_check", "check the source mapping against the exports (scv mapping check)"),
    "reprocess": ("operations.reprocess", "rebuild a source's silver from bronze after a mapping change, then gold"),
    "files": ("operations.files", "landing files taken and rejected; skip a rejected file"),
    "quarantine": ("operations.quarantine", "list or export the quarantined lines and rows"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scv", description="SCV sales intelligence lakehouse")
    parser.add_argument("--version", action="version", version=f"scv {version()}")
    parser.add_argument("--env", help="configuration environment (default: $SCV_ENV or 'local')")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command)
        command.set_defaults(_module=module)
    return parser


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version("scv-lakehouse")
    except PackageNotFoundError:
        from scv import __version__

        return __version__


def quiet_libraries(verbose: bool) -> None:
    """Library logs go to stderr at WARNING (DEBUG with -v), never into the step table on stdout."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        for name in ("great_expectations", "py4j", "pyspark", "gradio", "httpx", "urllib3"):
            logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet_libraries(args.verbose)
    try:
        config = load_config(env=args.env)  # every pipeline setting and the source mapping, validated
        return int(args._module.run(args, config))
    except ConfigError as exc:
        print(f"scv: configuration error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`scv status | head`): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + 13  # SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
