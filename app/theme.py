"""Look of the app: a Gradio theme with local fonts and the CSS for cards and bars (mobile first, 360 px).

Rules: one column of cards on a phone, a grid on wider screens; tap targets at least 44 px high; long words
wrap instead of widening the page, so nothing scrolls sideways.
"""

from __future__ import annotations

from typing import Any

CSS = """
:root { --ink:#1f2430; --muted:#5b6475; --line:#e3e6ee; --card:#ffffff; --accent:#3949ab; }
html, body { overflow-x: hidden; }
.gradio-container .main.app { max-width: 1180px; }
@media (max-width: 600px) {
  .gradio-container { padding: 0 !important; }
  .gradio-container .main.app { padding: 8px 6px !important; }
}
.gradio-container .html-container { padding-left: 0 !important; padding-right: 0 !important; }
.gradio-container * { overflow-wrap: anywhere; }
.gradio-container button, .gradio-container input, .gradio-container [role="tab"] { min-height: 44px; }
.gradio-container input[type="radio"], .gradio-container input[type="checkbox"] { min-height: 0; }
.gradio-container button[role="tab"] { font-size: 16px; padding: 0 14px; }
.topbar { display:flex; flex-wrap:wrap; gap:6px 12px; align-items:center; justify-content:space-between;
  padding:10px 12px; border-radius:12px; background:#eef0fb; color:var(--ink); }
.topbar .who { display:flex; flex-direction:column; min-width:0; }
.topbar .who b { font-size:18px; }
.topbar .who span, .topbar .fresh span { font-size:13px; color:var(--muted); }
.topbar .fresh { display:flex; align-items:center; gap:10px; flex-wrap:wrap; }
.signout-form { margin:0; }
.signout { display:inline-flex; align-items:center; min-height:44px; padding:0 12px; border-radius:10px;
  border:1px solid var(--line) !important; background:#fff !important; color:var(--accent) !important; font:inherit;
  cursor:pointer; }
.summary { color:var(--muted); font-size:14px; margin:6px 2px 10px; }
.cards { display:grid; grid-template-columns: 1fr; gap:12px; }
@media (min-width: 760px) { .cards { grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); } }
.lead-card, .area-card { background:var(--card); border:1px solid var(--line); border-radius:14px;
  padding:14px; color:var(--ink); box-shadow:0 1px 2px rgba(20,30,60,.06); min-width:0; }
.lead-card.next-best { border:2px solid #f0a500; background:#fffaf0; }
.ribbon { display:inline-block; font-size:13px; font-weight:700; color:#7a4d00; background:#ffe2a3;
  border-radius:999px; padding:3px 10px; margin-bottom:8px; }
.lead-head, .area-head { display:flex; gap:10px; align-items:flex-start; justify-content:space-between; }
.lead-who { min-width:0; }
.lead-name, .area-name { font-size:18px; line-height:1.25; margin:0 0 2px; font-weight:700; color:var(--ink); }
.area-name small { font-size:13px; font-weight:400; color:var(--muted); margin-left:8px; }
.lead-sub { font-size:14px; color:var(--muted); }
.score { flex:0 0 auto; display:flex; flex-direction:column; align-items:center; justify-content:center;
  width:56px; height:56px; border-radius:12px; color:#fff !important; }
.score b, .score small { color:#fff !important; }
.score b { font-size:22px; line-height:1; }
.score small { font-size:11px; opacity:.9; }
.score-high { background:#2e7d32; } .score-mid { background:#b86e00; } .score-low { background:#78849e; }
.chips { display:flex; flex-wrap:wrap; gap:6px; margin:10px 0 4px; }
.chip { font-size:13px; padding:3px 9px; border-radius:999px; background:#eef0f5; color:#394055; }
.chip-hot { background:#fde4e4; color:#a11d1d; } .chip-warm { background:#fff0db; color:#8a4b00; }
.chip-live { background:#e0f4e4; color:#1b6b2a; } .chip-cold { background:#e3eefc; color:#1f4f8f; }
.reasons { margin:8px 0 6px; padding-left:20px; font-size:15px; line-height:1.4; }
.reasons li { margin:2px 0; }
.nba { margin:6px 0 10px; font-size:15px; }
.lead-foot { display:flex; flex-wrap:wrap; gap:8px; align-items:center; justify-content:space-between; }
.contact { font-size:14px; color:var(--muted); }
.call { display:inline-flex; align-items:center; justify-content:center; min-height:44px; padding:0 16px;
  border-radius:10px; background:#2e7d32; color:#fff !important; font-weight:700; text-decoration:none !important; }
.call-none { background:#eef0f5; color:var(--muted) !important; font-weight:400; }
.status { flex:0 0 auto; font-size:12px; font-weight:700; letter-spacing:.03em; padding:4px 9px;
  border-radius:999px; background:#eef0f5; color:#394055; }
.status-hotspot { background:#c62828; color:#fff !important; }
.status-emerging { background:#b86e00; color:#fff !important; }
.status-stable { background:#e0f4e4; color:#1b6b2a; } .status-noise { background:#eef0f5; color:#5b6475; }
.districts { display:grid; grid-template-columns:1fr; gap:12px; }
@media (min-width: 760px) { .districts { grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); } }
.district { border:1px solid var(--line); border-radius:14px; padding:12px 14px; background:#fff; }
.top3 { list-style:none; margin:8px 0 0; padding:0; }
.top3 li { display:grid; grid-template-columns:28px 1fr auto; gap:2px 8px; align-items:center;
  padding:8px 0; border-top:1px solid var(--line); }
.top3 .rank { font-weight:700; color:var(--accent); }
.top3 .top-name { font-weight:600; min-width:0; }
.top3 .top-nums { grid-column:2 / 4; font-size:13px; color:var(--muted); }
.chart { border:1px solid var(--line); border-radius:14px; padding:12px 14px; background:#fff; }
.chart-title { font-size:17px; margin:0 0 4px; }
.bars { display:grid; grid-template-columns:minmax(5.5em, 34%) minmax(60px, 1fr) auto; gap:0 8px;
  align-items:center; font-size:14px; }
.kpi-tiles { display:grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap:8px; }
@media (min-width: 760px) { .kpi-tiles { grid-template-columns: repeat(4, minmax(0, 1fr)); } }
.kpi-tile { border:1px solid #eaecf0; border-radius:10px; padding:8px 10px; background:#fff; min-width:0; }
.kpi-label { font-size:12px; color:#667085; }
.kpi-value { font-size:18px; font-weight:700; overflow-wrap:anywhere; }
.kpi-note { font-size:12px; color:#475467; overflow-wrap:anywhere; }
.kpi-chart { display:block; max-width:720px; background:#fff; border:1px solid #eaecf0; border-radius:10px; }
.bar-row { display:contents; }
.bar-row > span { min-height:32px; display:flex; align-items:center; }
.bar-row > .bar-track { min-height:0; display:block; }
.bar-label { color:var(--ink); min-width:0; overflow-wrap:normal !important; word-break:normal; hyphens:manual; }
.bar-track { height:16px; background:#eef0f5; border-radius:8px; overflow:hidden; }
.bar-fill { display:block; height:100%; background:var(--accent); border-radius:8px; }
.bar-value { color:var(--muted); font-variant-numeric: tabular-nums; white-space:nowrap; }
.notice { border-radius:12px; padding:14px; background:#eef3fb; color:var(--ink); }
.notice p { margin:6px 0 0; color:var(--muted); }
.notice-error { background:#fdecec; }
.section-title { font-size:18px; font-weight:700; margin:14px 2px 6px; }
.ask-answer { border:1px solid var(--line); border-radius:14px; padding:12px 14px; background:#fff; }
.ask-text { font-size:16px; line-height:1.45; margin:0 0 6px; }
.ask-table-wrap { overflow-x:auto; -webkit-overflow-scrolling:touch; }
.ask-table { border-collapse:collapse; font-size:14px; min-width:100%; }
.ask-table th, .ask-table td { text-align:left; padding:6px 8px; border-top:1px solid var(--line);
  white-space:nowrap; font-variant-numeric: tabular-nums; }
.ask-table th { color:var(--muted); font-weight:600; }
.ask-note, .ask-source { font-size:13px; color:var(--muted); margin:6px 0 0; }
/* Pipeline: the two charts side by side on a desktop, one above the other on a phone */
@media (max-width: 760px) { #pipeline-charts { flex-direction:column !important; }
  #pipeline-charts > * { width:100% !important; min-width:0 !important; } }
.summary.rule { font-size:13px; margin-top:-4px; }
.acted { margin:4px 0; font-size:14px; color:#1b4f8a; background:#eef3fb; border-radius:8px; padding:4px 8px; }
.export { display:inline-flex; align-items:center; min-height:44px; padding:0 12px; border-radius:10px;
  border:1px solid var(--line); color:var(--accent) !important; text-decoration:none !important; }
.table-wrap { overflow-x:auto; max-width:100%; }
table.actions { width:100%; border-collapse:collapse; font-size:14px; }
table.actions th, table.actions td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line);
  vertical-align:top; }
.trend { border:1px solid var(--line); border-radius:14px; padding:12px 14px; background:#fff; }
.spark { display:flex; align-items:flex-end; gap:2px; height:56px; margin:4px 0 10px; }
.spark span { flex:1 1 0; min-width:2px; background:var(--accent); border-radius:2px 2px 0 0; }
.spark.hi span { background:#b86e00; } .spark.retail span { background:#2e7d32; }
"""


def theme() -> Any:
    """A calm Gradio theme on the device's own fonts: nothing to download on a slow phone connection.

    (Gradio's bundled Source Sans Pro SemiBold is a small subset; bold text fell back glyph by glyph and read
    "STaBLE" in the screenshots, so the system font stack is used instead.)
    """
    import gradio as gr

    font = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Noto Sans", "Liberation Sans", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace"]
    return gr.themes.Default(primary_hue="indigo", radius_size="lg", spacing_size="md", font=font, font_mono=mono)
