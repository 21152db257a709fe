"""Labels shared by the products: star ratings as symbols.

``stars_text`` lives in the pandas-free ``kit.formats`` (the apps' kernels use it too).
"""

from __future__ import annotations

from observatory_lib.products.kit.formats import stars_text

__all__ = ["stars_text"]
