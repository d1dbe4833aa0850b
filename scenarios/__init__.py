"""The shipped scenarios: installed as the package data ``sim.inputs.scenarios``."""
