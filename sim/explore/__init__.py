"""``hiresim explore``: a local web page to read run folders and try what-ifs.

:mod:`sim.explore.views` turns run folders into the page's tables and figures (through
:mod:`sim.analysis.compare` and :mod:`sim.analysis.plots`), :mod:`sim.explore.whatif` builds, saves
and runs what-ifs (through :mod:`sim.inputs.scenario` and :mod:`sim.experiments.runner`), and
:mod:`sim.explore.app` is the Dash page itself (the optional ``explore`` extra: ``pip install
hiresim[explore]``).
"""
