"""Reason sentences, the HTML and text bodies, the MIME message, and escaping of hostile source values."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from html.parser import HTMLParser

import pytest
from alert_helpers import realistic_rows

from alert_agent.rank import DistrictRow, TalukaSignal, rank_talukas
from alert_agent.reasons import interpretation, reason_sentences
from alert_agent.render import build_message, render_html, render_text
from alert_agent.routing import plan_messages
from alert_agent.settings import AlertSettings, RankingWeights
from alert_agent.view import EmailView, Freshness, email_view
from testkit.rows import AS_OF, HOSTILE, district_rows, hotspot_row

SETTINGS = AlertSettings(leadership=("ceo@example.com",), app_url="https://scv.example.com/app")
FRESHNESS = Freshness(AS_OF, 12, datetime(2026, 11, 22, 2, 14, tzinfo=UTC))


def view_for(
    rows: list[dict], note: str = "", paragraph: str | None = None, settings: AlertSettings = SETTINGS, charts=()
) -> EmailView:
    signals = [TalukaSignal.from_row(r) for r in rows]
    ranked = rank_talukas(signals, RankingWeights())
    districts = [DistrictRow.from_row(r) for r in district_rows(rows)]
    plan = plan_messages(ranked, districts, settings, AS_OF.isoformat(), signals=signals)[0]
    text = paragraph or interpretation(ranked, plan.talukas, AS_OF.isoformat(), 5)
    return email_view(plan, settings, FRESHNESS, text, note, charts=charts)


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.text: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.add(tag)
        self.hrefs += [v for k, v in attrs if k == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(html)
    return collector


def test_reason_sentences_for_each_situation() -> None:
    ranked = {t.signal.taluka: t for t in rank_talukas([TalukaSignal.from_row(r) for r in realistic_rows()],
                                                       RankingWeights())}  # fmt: skip
    classes = ("Hot", "Warm", "Live Deal")
    assert reason_sentences(ranked["Haveli"], 5, classes, 2.0) == [
        "64 leads in the last 5 days, up 60% on the previous 5 days (40).",
        "30 high-intent leads (Hot, Warm, Live Deal), up 100% on the previous 5 days (15).",
        "No retail sales in the last 5 days against 30 high-intent leads.",
        "2 saleable units in stock (9 in total).",
        "4 active dealers in the taluka.",
    ]
    assert reason_sentences(ranked["Mulshi"], 5, classes, 2.0) == [
        "22 leads in the last 5 days, up 47% on the previous 5 days (15).",
        "9 high-intent leads (Hot, Warm, Live Deal), up 13% on the previous 5 days (8).",
        "3 retail units in the last 5 days against 9 high-intent leads: a gap of 6.",
        "30 saleable units in stock (34 in total), at least 2 times the high-intent demand: less urgent.",
        "2 active dealers in the taluka.",
    ]
    assert reason_sentences(ranked["Sinnar"], 5, classes, 2.0)[3] == (
        "No saleable stock at the taluka's dealers (no stock at all)."
    )
    odd = hotspot_row("Odd", "D", "EMERGING", dealer_count=1, leads_cur=9, leads_prev=0, hi_leads_cur=1,
                      hi_leads_prev=4, retail_cur=5, total_stock=4, saleable_stock=0)  # fmt: skip
    scored = rank_talukas([TalukaSignal.from_row(odd)], RankingWeights())[0]
    assert reason_sentences(scored, 7, ("Hot",), 2.0) == [
        "9 leads in the last 7 days, none in the previous 7 days.",
        "1 high-intent lead (Hot), down 75% on the previous 7 days (4).",
        "5 retail units in the last 7 days, keeping pace with 1 high-intent lead.",
        "No saleable stock at the taluka's dealers (4 units in total, none saleable).",
        "1 active dealer in the taluka.",
    ]


def test_text_body_snapshot_of_the_first_taluka_and_the_frame() -> None:
    text = render_text(view_for(realistic_rows()))
    assert text.startswith(
        "Macro Market Hotspot Alert | Top 3 Talukas | 2026-11-21 | First: Haveli (HOTSPOT)\n"
        "Top 3 talukas to act on (All districts)\n"
        "Data as of 2026-11-21; hotspot table last written 2026-11-22 02:14 UTC (version 12).\n"
    )
    assert (
        "1. Haveli - Pune, Maharashtra\n"
        "   Status: HOTSPOT (Supply gap) | priority 78 of 100\n"
        "   Leads 64 (+60%) | High intent 30 (+100%) | Retail 0 (gap 30) | Saleable stock 2 (of 9)\n"
        "   - 64 leads in the last 5 days, up 60% on the previous 5 days (40).\n"
    ) in text
    assert "2. <script>alert(1)</script> Nagar - Satara, Maharashtra\n" in text  # plain text: shown as is
    assert "3. Sinnar - Nashik, Maharashtra\n   Status: EMERGING (Supply gap) | priority 52 of 100\n" in text
    assert "Mulshi - EMERGING - 22 leads" in text  # district view
    assert "Priority 0-100: HOTSPOT starts at 38, EMERGING starts at 19;" in text
    assert "Ordered by priority, highest first, not by status alone" in text
    assert "Also alerted, lower priority: Mulshi (EMERGING, 16)." in text
    assert "Open the field app: https://scv.example.com/app" in text
    assert "You receive this as the leadership list." in text


def test_html_body_has_the_ranked_talukas_colours_link_and_freshness() -> None:
    html = render_html(view_for(realistic_rows()))
    parsed = parse(html)
    text = " ".join("".join(parsed.text).split())
    assert text.index("Haveli") < text.index(HOSTILE) < text.index("Sinnar")
    assert "As of 2026-11-21 · All districts" in text
    assert "hotspot table last written 2026-11-22 02:14 UTC (version 12)" in text
    assert "No retail sales in the last 5 days against 30 high-intent leads." in text
    assert "District view: top talukas per district" in text
    for label, colour in (("HOTSPOT", "#b42318"), ("EMERGING", "#93370d"), ("STABLE", "#067647"), ("NOISE", "#475467")):
        assert f"color: {colour}" in html and f">{label}</span>" in html
    assert parsed.hrefs == ["https://scv.example.com/app"]
    assert parsed.tags <= {"html", "head", "meta", "title", "body", "div", "table", "tr", "td", "th", "span",
                           "strong", "br", "p", "ul", "li", "a", "tbody"}  # fmt: skip
    assert "<style" not in html and "class=" not in html  # inline styles only


def test_hostile_source_values_are_escaped_everywhere() -> None:
    rows = realistic_rows()
    rows[0] |= {"district": 'Pu<b>ne</b> & "Co"', "state": "<img src=x onerror=alert(2)>"}
    rows[3] |= {"taluka": "Evil\r\nBcc: victim@example.com"}
    view = view_for(rows)
    html = render_html(view)
    parsed = parse(html)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "b" not in parsed.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Nagar" in html
    assert 'Pu&lt;b&gt;ne&lt;/b&gt; &amp; "Co"' in html  # text: quotes need no escaping, markup does
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert HOSTILE in "".join(parsed.text)  # the reader sees the name as text
    text = render_text(view)
    assert "Evil Bcc: victim@example.com - Nashik" in text  # a line break in a name cannot forge lines
    message = build_message(view, html, text, "alerts@example.com", "ceo@example.com", "k")
    assert message["Bcc"] is None


def test_all_clear_email() -> None:
    view = view_for([hotspot_row("Calm", "D", "STABLE"), hotspot_row("Tiny", "D", "NOISE", hi_leads_cur=1)])
    assert view.subject == "Macro Market Hotspot Alert | All clear | 2026-11-21"
    text = render_text(view)
    assert "All clear: no HOTSPOT or EMERGING taluka" in text and "TOP TALUKAS" not in text
    assert "No taluka is HOTSPOT or EMERGING as of 2026-11-21" in text
    html = render_html(view)
    assert "All clear: no HOTSPOT or EMERGING taluka" in html and "Priority</th>" not in html


def test_all_clear_email_carries_a_watch_list_of_supply_gaps_and_talukas_near_the_bound() -> None:
    rows = [
        hotspot_row("Calm", "D", "STABLE"),
        hotspot_row("Dry", "D", "STABLE", hi_leads_cur=6, retail_cur=0),  # supply gap: 6 high intent, no sale
        hotspot_row("Close", "D", "STABLE", recent_leads=40, upper_leads=45.0, surge_score=0.8),
        hotspot_row("Far", "D", "STABLE", recent_leads=20, upper_leads=45.0, surge_score=0.2),
        hotspot_row("Tiny", "D", "NOISE", dealer_count=1, recent_leads=30, upper_leads=24.6, surge_score=1.3),
    ]
    view = view_for(rows)
    assert view.subject == "Macro Market Hotspot Alert | All clear | 2026-11-21 | 3 to watch"
    assert [(w.taluka, w.kind) for w in view.watch] == [
        ("Dry", "Supply gap"),
        ("Tiny", "Near the threshold"),
        ("Close", "Near the threshold"),
    ]
    text = render_text(view)
    assert "WATCH LIST: NOT ALERTED, WORTH A LOOK" in text
    assert " - Dry (D, Maharashtra) - STABLE - Supply gap: 6 high-intent leads in the last 5 days, no retail" in text
    words = " ".join(text.split())
    assert "30 leads in the last 3 days, above the surge bound of 25 (too few dealers or leads to be judged)" in words
    assert "40 leads in the last 3 days, near the surge bound of 45." in words
    html = render_html(view)
    assert "Watch list: not alerted, worth a look" in html and "Far" not in html


def test_one_taluka_reads_in_the_singular_and_no_link_without_a_public_url() -> None:
    rows = [hotspot_row("Solo", "D", "HOTSPOT", leads_cur=30, leads_prev=10, hi_leads_cur=1, hi_leads_prev=0)]
    view = view_for(rows, settings=AlertSettings(leadership=("ceo@example.com",)))
    assert view.subject == "Macro Market Hotspot Alert | Top 1 Taluka | 2026-11-21 | First: Solo (HOTSPOT)"
    assert view.heading == "1 taluka to act on"
    assert view.interpretation.startswith("1 taluka is HOTSPOT and none EMERGING as of 2026-11-21.")
    text, html = render_text(view), render_html(view)
    assert "1 high-intent lead (Hot, Warm, Live Deal)" in text
    assert "field app" not in text and "<a " not in html and "127.0.0.1" not in html


def test_trend_charts_travel_inline_by_content_id_with_alt_text() -> None:
    from datetime import timedelta

    from alert_agent.render import browser_html
    from alert_agent.trend import inline_images, trend_for

    counts = {AS_OF - timedelta(days=i): (12 if i < 5 else 4) for i in range(30)}
    trends = [trend_for(name, AS_OF, counts, 30) for name in ("Haveli", HOSTILE, "Sinnar")]
    charts = inline_images(trends, 5, ["#d92d20", "#d92d20", "#f79009"], AS_OF)
    view = view_for(realistic_rows(), charts=charts)
    html, text = render_html(view), render_text(view)
    alt = (
        "Leads per day in Haveli, 23 Oct to 21 Nov: 4 to 12 a day; 60 leads in the last 5 days against 20 in the 5 "
        "before."
    )
    assert charts[0].alt == alt and alt in " ".join(text.split())
    assert html.count('src="cid:trend-') == 3
    parsed_html = parse(html)
    assert "script" not in parsed_html.tags and "img" in parsed_html.tags  # the hostile name stays in alt text
    message = build_message(view, html, text, "alerts@example.com", "ceo@example.com", "k")
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    related = parsed.get_payload()[1]
    assert related.get_content_type() == "multipart/related"
    images = [p for p in related.iter_parts() if p.get_content_type() == "image/png"]
    assert [p["Content-ID"] for p in images] == [f"<{c.cid}>" for c in charts]
    assert images[0].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    preview = browser_html(view, html)
    assert "cid:" not in preview and preview.count('src="data:image/png;base64,') == 3


def test_llm_note_is_shown_with_the_narrative() -> None:
    note = "Written by the language model m1 from the figures above and checked against them."
    view = view_for(realistic_rows(), note=note, paragraph="Haveli leads the list with 64 leads.")
    assert "Haveli leads the list with 64 leads." in render_html(view)
    assert f"({note})" in render_text(view)


def test_message_is_multipart_alternative_with_both_bodies() -> None:
    view = view_for(realistic_rows())
    html, text = render_html(view), render_text(view)
    message = build_message(view, html, text, "SCV Alerts <alerts@example.com>", "ceo@example.com", "2026-11-21/x")
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Macro Market Hotspot Alert | Top 3 Talukas | 2026-11-21 | First: Haveli (HOTSPOT)"
    assert parsed["To"] == "ceo@example.com" and parsed["X-SCV-Alert-Key"] == "2026-11-21/x"
    assert parsed["Message-ID"].endswith("@example.com>")
    assert parsed.get_content_type() == "multipart/alternative"
    plain, rich = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain is not None and rich is not None
    assert plain.get_content().replace("\r\n", "\n") == text
    assert "&lt;script&gt;" in rich.get_content()


@pytest.mark.parametrize("growth,expected", [(0.125, "+13%"), (-0.125, "-13%"), (0.0, "0%"), (1.994, "+199%")])
def test_percent_rounds_halves_away_from_zero(growth: float, expected: str) -> None:
    from alert_agent.reasons import percent

    assert percent(growth) == expected
