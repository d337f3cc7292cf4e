"""Raw export vocabularies: file headers, code values as the source systems spell them, product lines, names.

The headers and codes are the *source systems'* spelling; conf/base/sources.yaml maps them onto the canonical
tables (tests/test_demo_data.py checks that the two agree).
"""

from __future__ import annotations

import numpy as np

LEAD_HEADER = (
    "Opty ID", "Dealer Code", "Created Date", "Sales Stage", "Lead Type", "Enquiry Type", "Customer Segment",
    "PPL", "Expected Closure", "Taluka", "District", "State", "Opty Status", "Customer Name", "Mobile",
    "Last Updated", "Sales Consultant", "Lead Source", "Closed Date", "Lost Reason", "Competitor", "Deal Value",
    "Account ID",
)  # fmt: skip
JOURNEY_FIELDS = ("event_uid", "opportunity", "event", "ts")
CALL_HEADER = ("CallRef", "OptyId", "CallStartTime", "DurationSecs", "Disposition", "NextFollowUpDate", "Notes")
STOCK_HEADER = ("Snapshot Date", "Dealer", "Product Line", "Total Stock", "Saleable Stock", "Last Receipt Date")
RETAIL_HEADER = (
    "Invoice No",
    "Dealer",
    "Invoice Date",
    "Product Line",
    "Qty",
    "Opty Ref",
    "Account ID",
    "Invoice Value",
)


def _words(text: str) -> list[str]:
    return text.split()


# Stage codes index: 0..3 = C0..C3, 4 = won, 5 = lost.
STAGES = np.array(["C0", "C1", "C2", "C3", "Closed Won", "Closed Lost"], dtype=object)
STATUS_OF_STAGE = np.array(["OPEN", "OPEN", "OPEN", "OPEN", "WON", "LOST"], dtype=object)
WON, LOST = 4, 5

# Lead classification index: 0 HOT, 1 WARM, 2 COLD, 3 LIVE DEAL.
LEAD_TYPES = np.array(["HOT", "WARM", "COLD", "LIVE DEAL"], dtype=object)
HOT, WARM, COLD, LIVE = 0, 1, 2, 3
CLASS_P = np.array([0.16, 0.30, 0.46, 0.08])
CLASS_P_HOTSPOT = np.array([0.26, 0.34, 0.22, 0.18])

ENQUIRY_TYPES = np.array(["WALK-IN", "REFERRAL", "REPEAT", "DIGITAL", "CAMPAIGN"], dtype=object)
ENQUIRY_P = np.array([0.34, 0.18, 0.10, 0.26, 0.12])

SEGMENTS = np.array(["Individual", "Fleet Owner", "Institution"], dtype=object)
INDIVIDUAL, FLEET, INSTITUTION = 0, 1, 2
SEGMENT_P = np.array([0.70, 0.22, 0.08])

PRODUCT_LINES = np.array(["Mini Truck", "Pickup", "Small Van", "Cargo EV", "Passenger SCV"], dtype=object)
PRODUCT_P = np.array([0.34, 0.30, 0.13, 0.08, 0.15])

# Journey event codes (index order matters: see activity.py).
EVENTS = np.array(
    ["enquiry", "showroom_visit", "test_drive", "quotation", "finance_applied", "booking", "invoice", "lost"],
    dtype=object,
)
EV_ENQUIRY, EV_VISIT, EV_TEST_DRIVE, EV_QUOTATION, EV_FINANCE, EV_BOOKING, EV_INVOICE, EV_LOST = range(8)

# Dialer dispositions: 0 is the only connected outcome.
DISPOSITIONS = np.array(["ANSWERED", "NO_ANSWER", "BUSY", "SWITCHED_OFF", "WRONG_NUMBER"], dtype=object)
ANSWERED = 0
NOT_CONNECTED_P = np.array([0.55, 0.20, 0.20, 0.05])

FIRST_NAMES = _words(
    "Aarav Abhishek Aditya Ajay Akash Amit Anand Anil Arjun Ashok Deepak Dinesh Ganesh Gopal Harish Jagdish "
    "Kiran Mahesh Manoj Mukesh Nilesh Pankaj Prakash Pravin Rahul Rajesh Ramesh Ravi Sachin Sandeep Sanjay "
    "Santosh Sunil Suresh Tushar Vijay Vikas Vinod Yogesh Aarti Anita Asha Deepa Jyoti Kavita Lata Meena "
    "Neha Pooja Priya Rekha Savita Shilpa Sunita Swati Usha Vaishali Varsha"
)
SURNAMES = _words(
    "Patil Deshmukh Jadhav Pawar Shinde Kulkarni Joshi More Chavan Gaikwad Patel Shah Desai Mehta Parmar "
    "Chauhan Solanki Rathod Gowda Reddy Naik Hegde Shetty Kamath Rao Kumar Sharma Verma Yadav Tiwari Mishra "
    "Pandey Dubey Thakur Chouhan Rajput Sahu Jain Agrawal Gupta"
)
FLEET_TEMPLATES = ("{s} Transport", "{s} Roadlines", "{s} Logistics", "{f} {s} Carriers")
INSTITUTION_TEMPLATES = ("{s} Agro Co-op Society", "Shri {s} Education Trust", "{s} Dairy Sangh", "{s} Hospital")


def customer_names() -> tuple[np.ndarray, np.ndarray]:
    """All customer names and, per segment, the index range (start, stop) into them."""
    people = [f"{f} {s}" for f in FIRST_NAMES for s in SURNAMES]
    fleet = [t.format(f=f, s=s) for t in FLEET_TEMPLATES for f in FIRST_NAMES[:10] for s in SURNAMES]
    inst = [t.format(s=s) for t in INSTITUTION_TEMPLATES for s in SURNAMES]
    names = np.array(people + fleet + inst, dtype=object)
    bounds = np.cumsum([0, len(people), len(fleet), len(inst)])
    ranges = np.stack([bounds[:-1], bounds[1:]], axis=1)
    return names, ranges
