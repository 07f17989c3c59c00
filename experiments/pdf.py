"""Print the report's HTML to PDF with WeasyPrint (no browser needed).

WeasyPrint draws text with the system's Pango library; where Pango is missing, importing it
fails, and ``PdfUnavailableError`` says what to install instead of a traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path

from autograd.teach import write_atomic

INSTALL = ("install Pango for WeasyPrint: 'sh tools/system-deps.sh pdf' or 'sudo apt-get install "
           "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core' (Debian/Ubuntu), 'brew install pango' (macOS)")


class PdfUnavailableError(RuntimeError):
    """The PDF cannot be made on this machine; the message says why and what to install."""


def _weasyprint():
    try:
        import weasyprint
    except ImportError as err:  # the package is missing: pip install -e . brings it
        raise PdfUnavailableError(f"the Python package WeasyPrint is not installed ({err}): "
                                  f"pip install weasyprint") from None
    except OSError as err:  # the package is there, the system libraries it loads are not
        raise PdfUnavailableError(f"WeasyPrint could not load its system libraries ({err}); {INSTALL}") from None
    return weasyprint


def write_pdf(page: str, path: Path, base: Path) -> Path:
    """Print the HTML ``page`` (relative links resolved from ``base``) to ``path``, atomically."""
    weasyprint = _weasyprint()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # its notes on unsupported CSS are not the user's
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    data = weasyprint.HTML(string=page, base_url=str(base)).write_pdf()
    return write_atomic(path, data)
