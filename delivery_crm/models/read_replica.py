"""Reads on a replica, writes on the primary (issue 18 item 5).

With ``db_replica_host`` set, Odoo serves the ``readonly=True`` routes and the
``@api.readonly`` methods on a cursor of the PostgreSQL streaming replica, where any
write fails (``ReadOnlySqlTransaction``; Odoo then logs a warning and runs the whole
request again on the primary). The module's read paths (reports, Excel exports, the
portal's lists) still have a few writes to make that belong to them: the export log
row of every export of customer data (R9) and the one-time key of a download. They
go to the primary through :func:`primary_env`, committed there, while the data are
read on the replica.
"""

from contextlib import contextmanager

from odoo.http import request


@contextmanager
def primary_env(env):
    """The environment in which a read path writes its own rows.

    On a read/write cursor (the primary; every request without a replica), ``env``
    itself: the write belongs to the request's transaction, as before. On a read-only
    cursor, ``env`` on a new read/write cursor of the primary, committed when the block
    ends (rolled back if it raises).

    The read-only transaction of ``env`` ends first: it has nothing to roll back, the
    next read opens a new one (on a replica: as recent as its replay). A read/write test
    cursor cannot be opened inside a read-only one that has begun (Odoo's
    ``TestCursor``), so the module tests run the same code as production.
    """
    if not env.cr.readonly:
        yield env
        return
    env.cr.rollback()
    with env.registry.cursor() as cr:
        yield env(cr=cr)


def read_only_get(controller, rule, args):
    """``readonly=`` of a route that shows a page on GET and writes on POST: the GET is
    served on the replica, the POST on the primary."""
    return request.httprequest.method in ("GET", "HEAD")
