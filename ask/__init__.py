"""Ask the lakehouse: leaders' questions answered from the gold tables through a fixed catalogue of reads, with
the numbers to check (``scv ask`` and the app's Ask tab)."""
