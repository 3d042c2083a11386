"""linesift: label every line of a scraped web page as content or boilerplate.

The functions below use the bundled model, loaded once on first use. Each takes ONE page: its
lines in order (a list, tuple, numpy array or generator of str), or its whole text as one str
(split on \\n, \\r\\n and \\r). ``len(predict(x)) == len(x)`` for a list; blank lines get a label too.

    >>> from classifier import predict, clean
    >>> predict(["Menu", "Try 3 months for $9"])            # doctest: +SKIP
    [<Label.BOILERPLATE: 'boilerplate'>, <Label.BOILERPLATE: 'boilerplate'>]
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["predict", "predict_proba", "predict_pages", "clean", "load_model", "default_model",
           "apply_site_memory", "Label", "LineClassifier", "ModelError", "__version__"]

_DEFAULT = None


def __getattr__(name):
    # Heavy imports (scikit-learn) happen on first use, not at `import classifier`.
    if name in ("Label",):
        from .labels import Label
        return Label
    if name in ("LineClassifier", "ModelError"):
        from . import model
        return getattr(model, name)
    if name == "apply_site_memory":
        from .sitememory import apply_site_memory
        return apply_site_memory
    raise AttributeError(f"module 'classifier' has no attribute {name!r}")


def default_model():
    """The bundled model, loaded on first call and cached. Its file's sha256 must match the one
    recorded beside it (models/default.joblib.sha256) before it is unpickled, else ModelError."""
    global _DEFAULT
    if _DEFAULT is None:
        from .model import load_bundled
        _DEFAULT = load_bundled()
    return _DEFAULT


def load_model(path, sha256=None):
    """Load a model file from an explicit path. joblib model files are pickles and loading one
    runs code from it: load only files you trust (``sha256=`` checks the file's digest first);
    ``.skops`` files load without running code (``pip install 'linesift[skops]'``). Returns a
    LineClassifier with predict / predict_proba / predict_pages / clean methods; raises
    ModelError (one sentence) for a missing, empty, damaged, wrong-type or incompatible file."""
    from .model import load_model as _load
    return _load(path, sha256)


def predict(lines, threshold=None):
    """One label ('content' or 'boilerplate', a str enum) per line of one page, in order.

    ``lines``: the page's text (str, or UTF-8 bytes), split on \\n, \\r\\n and \\r; or its
    lines as a list, tuple, generator or 1-D numpy array of str, each item one line, never
    split (even if it holds a line end). Any characters are fine, blank lines get
    'boilerplate'. Raises TypeError for None, numbers, dicts or sets, or a line that is not
    str/bytes (naming it: "line 3 is NoneType, expected str", counted from 0), and ValueError
    for bytes that are not UTF-8. ``threshold`` is the P(content) a line needs to count as
    content (default 0.35, chosen for content F1): raise it to favour precision, lower it to
    favour recall.
    """
    m = default_model()
    return m.predict(lines) if threshold is None else m.predict(lines, threshold)


def predict_proba(lines):
    """A float array of P(content) in [0, 1], one per line of one page (input and errors as
    for predict), in order; blank lines get 0.0, and so does every line of a page of 10 or more
    non-blank lines none of which reaches 0.7 (a page with no main text, such as a 404 page)."""
    return default_model().predict_proba(lines)


def predict_pages(pages, threshold=None, sites=None):
    """Labels for many pages (an iterable of pages, each as for predict) in one batch. A page
    gets the same labels as alone. A str is refused (TypeError: it is one page, use predict);
    errors name the page, e.g. "page 2: line 0 is int, expected str".

    ``sites`` (optional, one site key such as the URL host per page, or None): pages of one
    site inform each other, as lines recurring on many of a site's pages are likely template
    (LineClassifier.predict_proba_pages). A page's labels then depend on the batch.
    """
    m = default_model()
    if threshold is None:
        return m.predict_pages(pages, sites=sites)
    return m.predict_pages(pages, threshold, sites=sites)


def clean(text, threshold=None):
    """Only the content lines of one page (input and errors as for predict), in order, joined
    with newlines; each kept line is returned exactly as given."""
    m = default_model()
    return m.clean(text) if threshold is None else m.clean(text, threshold)
