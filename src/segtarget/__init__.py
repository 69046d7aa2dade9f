"""segtarget: who are our customers, and whom should the next campaign target?

The package reads like the data flow: ``data`` -> ``features`` -> ``segments`` -> ``causal`` -> ``policy``
-> ``report``, with ``cli`` on top. Heavy libraries (econml, lightgbm, matplotlib) are imported inside the
stages that need them, so ``segtarget features`` starts fast.
"""

__version__ = "0.1.0"
