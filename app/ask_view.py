"""The Ask tab: a question in plain words (when a model is configured) or a guided question, answered from the
gold tables within the reader's scope; the answer, the numbers it used as small tables, and where they came
from. Every value is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

from app.cards import fmt_date
from ask.answer import Answer
from ask.tools import CATALOGUE


def guided_choices() -> list[tuple[str, str]]:
    """(label, tool name) of the guided questions."""
    return [(tool.question, name) for name, tool in CATALOGUE.items()]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return escape(str(value))


def answer_html(answer: Answer) -> str:
    parts = [f'<div class="ask-answer"><p class="ask-text">{escape(answer.text)}</p>']
    if answer.message:
        parts.append(f'<p class="ask-note">The model\'s answer is not shown: {escape(answer.message)}</p>')
    for result in answer.results:
        day = f" · as of {fmt_date(result.as_of)}" if result.as_of else ""
        parts.append(f'<div class="ask-result"><div class="section-title">{escape(result.title)}</div>')
        parts.append('<div class="ask-table-wrap"><table class="ask-table"><tr>')
        parts.extend(f"<th>{escape(c.replace('_', ' '))}</th>" for c in result.columns)
        parts.append("</tr>")
        for row in result.rows:
            parts.append("<tr>" + "".join(f"<td>{_cell(row.get(c))}</td>" for c in result.columns) + "</tr>")
        parts.append("</table></div>")
        if result.note:
            parts.append(f'<p class="ask-note">{escape(result.note)}</p>')
        parts.append(f'<p class="ask-source">From {escape(", ".join(result.tables))}{escape(day)}</p></div>')
    parts.append("</div>")
    return "".join(parts)
