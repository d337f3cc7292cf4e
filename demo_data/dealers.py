"""The dealer master export: one row per dealer with its place (the authoritative geography), region and
status, written once as a full snapshot (``dealer_master/dealers.csv``), as a DMS exports it."""

from __future__ import annotations

from demo_data.corrupt import render_csv
from demo_data.messy import FileOut
from demo_data.world import World

PATH = "dealer_master/dealers.csv"
HEADER = ["Dealer Code", "Dealer Name", "Taluka", "District", "State", "Region", "Active"]
REGIONS = {"Maharashtra": "West", "Gujarat": "West", "Madhya Pradesh": "Central", "Karnataka": "South"}


def dealer_master(world: World) -> FileOut:
    codes = world.dealer_codes()
    talukas, districts, states = world.dealer_places()
    rows = [
        [code, f"{taluka} Motors {code[-4:]}", taluka, district, state, REGIONS.get(state, "Other"), "Y"]
        for code, taluka, district, state in zip(codes, talukas, districts, states, strict=True)
    ]
    return FileOut(PATH, render_csv([HEADER, *rows]), len(rows))
