"""A template page as a fastcore application: the fortunes table of 12 escaped rows.

The template page of ``callgrind_request.py`` (``--endpoint template``): a
loop, attribute lookups and escaping on every request. The security stack is
off (``security=False``) so that the count is the page's, as with the
plaintext and JSON endpoints of ``fastcore_app.py``. (The folder is not
called ``templates/``: in the harness's working directory that would turn
the security stack on for ``fastcore_app.py`` too.)
"""

from __future__ import annotations

from pathlib import Path

from fastcore import App, Response
from fastcore.templating.extension import Templates

app = App(security=False)
app.install(Templates([str(Path(__file__).resolve().parent / "page_templates")]))

FORTUNES = [
    {"id": index, "message": f"Fortune {index}: <script>alert('{index}')</script> & more"}
    for index in range(1, 13)
]


@app.get("/template")
async def template() -> Response:
    """Render the fortunes table."""
    return app.render("fortunes.html", fortunes=FORTUNES)
