"""The two line labels, as one string enum used everywhere in the package.

>>> Label.CONTENT == "content"
True
>>> Label("boilerplate") is Label.BOILERPLATE
True
"""

from enum import Enum

__all__ = ["Label", "LABELS", "DEFAULT_THRESHOLD", "labels_from_proba"]


class Label(str, Enum):
    """A line's label. Members compare equal to their plain string values."""

    CONTENT = "content"
    BOILERPLATE = "boilerplate"

    def __str__(self) -> str:  # print "content", not "Label.CONTENT"
        return self.value


#: P(content) at or above which a line is content: 0.5, where the log-loss-trained model's two
#: classes are equally likely. Not tuned; callers trade precision for recall with `threshold=`.
DEFAULT_THRESHOLD = 0.5

#: Label order used for probability columns: column 1 is P(content).
LABELS = (Label.BOILERPLATE, Label.CONTENT)


def labels_from_proba(probs, threshold: float) -> list[Label]:
    """One Label per P(content): CONTENT at or above the threshold.

    >>> [str(label) for label in labels_from_proba([0.9, 0.2], 0.5)]
    ['content', 'boilerplate']
    """
    return [Label.CONTENT if p >= threshold else Label.BOILERPLATE for p in probs]
