"""Gold: the runner of the declared gold graph (graph.py) and the Python logic of gold tables (<table>.py)."""
