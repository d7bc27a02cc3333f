"""Download of the Excel exports (R10, R11).

The export wizard's button points the browser here, with a one-time key (made by
the button's POST, so that a GET from another site exports and logs nothing); the
file is written on the fly into a temporary file, streamed from disk and deleted.
Nothing is stored: no attachment to clean up, and a download always reflects the data
of the moment, read with the user's own rights (``auth="user"``, no sudo).

The route is read-only: with a replica (``db_replica_host``) the data are read there;
the one-time key and the export log are written on the primary
(:mod:`..models.read_replica`).
"""

import contextlib
import os

from odoo import http
from odoo.http import request

from ..xlsx.writer import XLSX_MIMETYPE


class DeliveryXlsxController(http.Controller):
    @http.route(
        "/delivery_crm/xlsx/<int:wizard_id>",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
    )
    def download_xlsx(self, wizard_id, token=None, **kwargs):
        wizard = request.env["delivery.xlsx.export.wizard"]._browse_download(wizard_id, token)
        if not wizard:
            raise request.not_found()
        # AccessError (403) for a user who may not export
        wizard.check_access("read")
        # the parameters of another user's export are not shared
        if wizard.create_uid != request.env.user:
            raise request.not_found()
        # the one-time key of the export button: a GET from another site (without it)
        # exports and logs nothing (security review L9)
        if not wizard._use_download_token(token):
            raise request.not_found()
        path, filename = wizard._export_xlsx()
        try:
            stream = http.Stream(
                type="path",
                path=path,
                mimetype=XLSX_MIMETYPE,
                download_name=filename,
                as_attachment=True,
                size=os.path.getsize(path),
            )
            # the response holds the file open: it is streamed from disk, in chunks
            return stream.get_response()
        finally:
            # on POSIX an open file outlives its name; the disk space is freed when
            # the response has been sent
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
