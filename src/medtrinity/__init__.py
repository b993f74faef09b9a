"""medtrinity: image - ROI - description triplets from medical images that come without text."""

__version__ = "0.1.0"
