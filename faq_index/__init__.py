"""FAQ retrieval: a TF-IDF index over question variants, independent of the bot."""

from faq_index.index import FaqIndex, Hit

__all__ = ["FaqIndex", "Hit"]
