"""``scv ask``: a question in plain words, answered from the gold tables with the numbers to check.

    scv ask "which talukas are hot in Pune?"            # with a model (SCV_LLM_*): it picks the questions
    scv ask --list                                       # the guided questions (no model needed)
    scv ask --guided hotspots --district Pune            # one guided question, filled in
    scv ask --as-manager Pune "why did retail fall?"    # answered within one district's scope
    scv ask --eval                                       # the evaluation set against the configured model

Exit codes: 0 answered (by the model, checked, or a guided question); 1 not answered by the model (the
message says why and the guided questions are listed); 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ground.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", nargs="?", help="the question, in plain words")
    parser.add_argument("--list", action="store_true", help="list the guided questions")
    parser.add_argument("--guided", metavar="QUESTION", help="run one guided question (a name from --list)")
    parser.add_argument("--district", help="guided: the district")
    parser.add_argument("--date", help="guided: the as-of date YYYY-MM-DD (default: the latest)")
    parser.add_argument("--status", help="guided (hotspots): one status")
    parser.add_argument("--dimension", help="guided (win_rates): what to compare")
    parser.add_argument("--level", help="guided (kpi_targets): company, state, district, dealer or product_line")
    parser.add_argument("--segment", help="guided (accounts_at_risk): an account segment, e.g. Fleet")
    parser.add_argument("--limit", type=int, help="guided: how many rows")
    parser.add_argument("--as-manager", metavar="DISTRICT", help="answer as a manager of this district sees it")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--eval", action="store_true", help="run the evaluation set against the configured model")


def render(answer: Any) -> str:
    lines = [answer.text]
    if answer.message:
        lines.append(f"(the model's answer is not shown: {answer.message})")
    for result in answer.results:
        lines.append("")
        day = f", as of {result.as_of}" if result.as_of else ""
        lines.append(f"{result.title} (from {', '.join(result.tables)}{day})")
        widths = {c: max(len(c), *(len(str(r.get(c))) for r in result.rows)) if result.rows else len(c)
                  for c in result.columns}  # fmt: skip
        lines.append("  " + "  ".join(c.ljust(widths[c]) for c in result.columns))
        for row in result.rows:
            lines.append("  " + "  ".join(str(row.get(c)).ljust(widths[c]) for c in result.columns))
        if result.note:
            lines.append(f"  {result.note}")
    return "\n".join(lines)


def as_json(answer: Any) -> str:
    return json.dumps(
        {
            "question": answer.question,
            "status": answer.status,
            "answer": answer.text,
            "message": answer.message,
            "results": [{**r.for_model(), "arguments": r.arguments} for r in answer.results],
        },
        indent=2,
        default=str,
    )


def run(args: argparse.Namespace, config: Config) -> int:
    from ask.answer import guided, with_model
    from ask.settings import ask_settings
    from ask.tools import CATALOGUE, Reader
    from ground.llm import endpoint_from_env

    settings = ask_settings(config)
    reader = Reader("manager", args.as_manager) if args.as_manager else Reader("leader")
    lake = config.paths.lake_root
    if args.list:
        for name, tool in CATALOGUE.items():
            names = ", ".join(p.name for p in tool.parameters)
            print(f"{name:<18} {tool.question}  ({names})")
        return 0
    endpoint = endpoint_from_env() if settings.use_model else None
    if args.eval:
        from ask.evaluation import evaluate

        if endpoint is None:
            print("scv ask --eval: no model configured (SCV_LLM_BASE_URL, SCV_LLM_MODEL)", file=sys.stderr)
            return 2
        report = evaluate(endpoint, lake, settings)
        print(json.dumps(report, indent=2))
        return 0
    if args.guided:
        if args.guided not in CATALOGUE:
            print(f"scv ask: no guided question {args.guided!r} (scv ask --list)", file=sys.stderr)
            return 2
        chosen = {"district": args.district, "date": args.date, "status": args.status,
                  "dimension": args.dimension, "level": args.level, "segment": args.segment,
                  "limit": args.limit}  # fmt: skip
        known = {p.name for p in CATALOGUE[args.guided].parameters}
        answer = guided(args.guided, {k: v for k, v in chosen.items() if k in known and v}, lake, reader)
    elif not args.question:
        print("scv ask: give a question, or --list / --guided", file=sys.stderr)
        return 2
    elif endpoint is None:
        print("No language model is configured (SCV_LLM_BASE_URL, SCV_LLM_MODEL): pick a guided question.")
        for name, tool in CATALOGUE.items():
            print(f"  scv ask --guided {name:<18} {tool.question}")
        return 1
    else:
        answer = with_model(
            args.question,
            endpoint,
            lake,
            reader,
            timeout_s=settings.timeout_s,
            max_tokens=settings.max_tokens,
            max_chars=settings.max_chars,
            max_rounds=settings.max_rounds,
        )
    print(as_json(answer) if args.json else render(answer))
    if answer.status == "fallback":
        print("Guided questions: scv ask --list", file=sys.stderr)
        return 1
    return 0
