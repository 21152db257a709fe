"""European Cluster Observatory workbook: the helper library behind the notebooks.

Layers (see docs/ARCHITECTURE.md): ``observatory_lib.data`` (retrieval, readers, store)
-> ``observatory_lib.indicators`` (clusters, stars, scoreboard, peers)
-> ``observatory_lib.products`` (tables, maps, scorecards, batch, apps, CLI).
Lower layers never import higher ones.
"""

__version__ = "0.1.0"
