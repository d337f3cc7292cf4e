"""The leadership alert: ranking, reason codes, rendering, SMTP delivery and the send ledger."""
