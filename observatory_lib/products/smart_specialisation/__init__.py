"""The smart specialisation report (``notebooks/smart_specialisation.ipynb``).

Europe-wide: the category space (a network of the strongest links between cluster categories,
laid out with networkx), the most related pairs, the regions with the most diversification
opportunities and their related and unrelated variety; per country where S3 priorities exist
(the Czech regional RIS3 domains, or a file in the S3 input format): the alignment of every
priority with the region's specialisations.

``smart_specialisation_context`` builds the tables (``report``), ``plot_category_space`` and
``plot_opportunity_map`` draw the figures (``figures``), ``write_downloads`` publishes the tidy
tables (``report``) and ``publication`` returns the report in the house style (``publication``).
"""

from observatory_lib.products.smart_specialisation.figures import (
    category_space_graph,
    plot_category_space,
    plot_opportunity_map,
    spread_apart,
)
from observatory_lib.products.smart_specialisation.publication import (
    document,
    key_findings,
    publication,
)
from observatory_lib.products.smart_specialisation.report import (
    LEVEL,
    N_PAIRS,
    N_REGIONS,
    OUTPUT_SUBDIR,
    PRODUCT,
    Alignment,
    SmartSpecialisationReport,
    alignment_markdown,
    display_names,
    pairs_frame,
    smart_specialisation_context,
    write_downloads,
)

__all__ = [
    "LEVEL",
    "N_PAIRS",
    "N_REGIONS",
    "OUTPUT_SUBDIR",
    "PRODUCT",
    "Alignment",
    "SmartSpecialisationReport",
    "alignment_markdown",
    "category_space_graph",
    "display_names",
    "document",
    "key_findings",
    "pairs_frame",
    "plot_category_space",
    "plot_opportunity_map",
    "publication",
    "smart_specialisation_context",
    "spread_apart",
    "write_downloads",
]
