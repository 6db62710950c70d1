"""The web console at ``/_openprofiles/console``: server-rendered pages (Jinja2 templates in
``templates/``, one stylesheet in ``static/``, no JavaScript build) over the services layer.

``app.py`` signs people in and routes; ``pages.py`` and ``object_pages.py`` hold the pages;
``sessions.py`` the signed session cookie and CSRF tokens; see docs/console.md.
"""
