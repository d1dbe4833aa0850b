"""The model: the Mesa model, its agents and state, and one module per monthly process."""
