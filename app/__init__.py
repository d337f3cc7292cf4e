"""The mobile-first field app (Gradio) over the gold tables, read with deltalake."""
