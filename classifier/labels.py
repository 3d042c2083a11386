"""The two line labels, as one string enum used everywhere in the package.

>>> Label.CONTENT == "content"
True
>>> Label("boilerplate") is Label.BOILERPLATE
True
"""

from enum import Enum

__all__ = ["Label", "LABELS"]


class Label(str, Enum):
    """A line's label. Members compare equal to their plain string values."""

    CONTENT = "content"
    BOILERPLATE = "boilerplate"

    def __str__(self) -> str:  # print "content", not "Label.CONTENT"
        return self.value


#: Label order used for probability columns: column 1 is P(content).
LABELS = (Label.BOILERPLATE, Label.CONTENT)
