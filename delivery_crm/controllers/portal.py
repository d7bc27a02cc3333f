"""Customer portal: the customer's requests (complaints, inquiries, suggestions,
requirements) and deliveries.

Every list and detail page reads the records in the portal user's own environment:
the record rules restrict them to the user's company (``partner_id`` is the user's
commercial partner) and the internal fields (owner, root cause, internal notes...) carry
the Delivery CRM user group, so they cannot be read here, let alone shown.
"""

import os
import re
from collections import OrderedDict
from datetime import timedelta

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.fields import Datetime
from odoo.http import request
from odoo.tools import plaintext2html
from odoo.tools.mimetypes import guess_mimetype

from odoo.addons.portal.controllers import portal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.delivery_constants import REQUEST_TYPES
from ..models.read_replica import read_only_get

URGENCIES = ("normal", "urgent")
# what a customer may send with a request
MAX_ATTACHMENT_SIZE = 10 * 1024 * 1024  # bytes, per file
MAX_ATTACHMENTS = 10
MAX_SUBJECT_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 10000
# what kinds of file a customer may send (by their content, whatever their name says):
# photos, PDF, office documents and text (security review L1); never web pages, SVG or
# programs
ALLOWED_ATTACHMENT_MIMETYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/tiff",
        "image/heic",
        "image/heif",
        "application/pdf",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "text/plain",
        "text/csv",
    }
)
# deliveries offered in the request form's drop-down (the most recent ones)
FORM_SHIPMENT_LIMIT = 200
# control characters and path separators are removed from uploaded file names
UNSAFE_FILENAME_CHARS = re.compile(r"[\x00-\x1f\x7f/\\<>:\"|?*]")


def sanitize_filename(filename):
    """The base name of an uploaded file, without path, control characters or
    characters that are unsafe in a download header; never empty."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = UNSAFE_FILENAME_CHARS.sub("_", name).strip(" .")
    if len(name) > 128:
        stem, ext = os.path.splitext(name)
        name = stem[: 128 - len(ext[:16])] + ext[:16]
    return name or "attachment"


class DeliveryCustomerPortal(portal.CustomerPortal):
    # ------------------------------------------------------------------ home
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "complaint_count" in counters:
            Complaint = request.env["delivery.complaint"]
            values["complaint_count"] = (
                Complaint.search_count([]) if Complaint.has_access("read") else 0
            )
        if "shipment_count" in counters:
            Shipment = request.env["delivery.shipment"]
            values["shipment_count"] = (
                Shipment.search_count([]) if Shipment.has_access("read") else 0
            )
        return values

    # ------------------------------------------------------------------ requests: list
    def _complaint_searchbar_sortings(self):
        env = request.env
        return {
            "date": {"label": env._("Newest"), "order": "received_date desc, id desc"},
            "name": {"label": env._("Number"), "order": "name desc, id desc"},
            "state": {"label": env._("Status"), "order": "state, received_date desc, id desc"},
        }

    def _complaint_searchbar_filters(self):
        env = request.env
        done = ["resolved", "closed"]
        return OrderedDict(
            [
                ("all", {"label": env._("All"), "domain": []}),
                ("open", {"label": env._("Open"), "domain": [("state", "not in", done)]}),
                (
                    "closed",
                    {"label": env._("Resolved or closed"), "domain": [("state", "in", done)]},
                ),
            ]
        )

    @http.route(
        ["/my/complaints", "/my/complaints/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_complaints(self, page=1, sortby=None, filterby=None, **kw):
        values, complaints = self._portal_list_values(
            "delivery.complaint",
            "/my/complaints",
            self._complaint_searchbar_sortings(),
            self._complaint_searchbar_filters(),
            page,
            sortby,
            filterby,
        )
        request.session["my_complaints_history"] = complaints.ids[:100]
        values.update({"complaints": complaints, "page_name": "complaint"})
        return request.render("delivery_crm.portal_my_complaints", values)

    def _portal_list_values(self, model, url, sortings, filters, page, sortby, filterby):
        """The layout values of a portal list page and the page's records. The record
        rules keep the user to their own company's records: no domain comes from the
        request but the chosen filter's."""
        Model = request.env[model]
        values = self._prepare_portal_layout_values()
        sortby = sortby if sortby in sortings else "date"
        filterby = filterby if filterby in filters else "all"
        domain = filters[filterby]["domain"]
        pager = portal_pager(
            url=url,
            url_args={"sortby": sortby, "filterby": filterby},
            total=Model.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        records = Model.search(
            domain,
            order=sortings[sortby]["order"],
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        values.update(
            {
                "pager": pager,
                "default_url": url,
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
            }
        )
        return values, records

    # ------------------------------------------------------------------ requests: detail
    @http.route(["/my/complaints/<int:complaint_id>"], type="http", auth="public", website=True)
    def portal_my_complaint(self, complaint_id, access_token=None, **kw):
        try:
            complaint_sudo = self._document_check_access(
                "delivery.complaint", complaint_id, access_token=access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        # A signed-in customer sees the request through their own rights, so the
        # page cannot read an internal field even by mistake. Only a visitor holding
        # the request's access token (checked above) gets the superuser record; the
        # template shows the same customer-facing fields either way.
        complaint = request.env["delivery.complaint"].browse(complaint_id)
        if not complaint.has_access("read"):
            complaint = complaint_sudo
        values = {
            "complaint": complaint,
            "page_name": "complaint",
            "rating_token": self._complaint_rating_token(complaint_sudo),
            "can_reopen": self._complaint_customer(complaint_sudo)
            and complaint_sudo._customer_may_reopen(),
            "reopen_error": kw.get("reopen_error"),
            # a token visitor gets no link to the (sign-in only) delivery page
            "can_open_shipment": complaint is not complaint_sudo
            and bool(complaint.shipment_id)
            and complaint.shipment_id.has_access("read"),
        }
        values = self._get_page_view_values(
            complaint, access_token, values, "my_complaints_history", False, **kw
        )
        return request.render("delivery_crm.portal_my_complaint", values)

    @staticmethod
    def _complaint_customer(complaint_sudo):
        """Whether the signed-in user is a contact of the request's customer."""
        user = request.env.user
        return bool(
            not user._is_public()
            and complaint_sudo.partner_id
            and user.partner_id.commercial_partner_id == complaint_sudo.partner_id
        )

    @http.route(
        ["/my/complaints/<int:complaint_id>/reopen"],
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_reopen_complaint(self, complaint_id, reason=None, **kw):
        """The customer is not satisfied: they send the request back, with why
        (003 §6.1 "不满意则继续处理直至客户满意")."""
        complaint = request.env["delivery.complaint"].browse(complaint_id).exists()
        if not complaint or not complaint.has_access("read"):
            return request.redirect("/my")
        # sudo: the customer may not write the request; they are checked to be its
        # customer's contact (record rule above and commercial partner here), and only
        # the reopening is done, with their reason, by _reopen_by_customer's checks
        complaint_sudo = complaint.sudo()
        if not self._complaint_customer(complaint_sudo):
            return request.redirect("/my")
        try:
            with request.env.cr.savepoint():
                complaint_sudo._reopen_by_customer(reason)
                complaint_sudo.message_post(
                    author_id=request.env.user.partner_id.id,
                    body=request.env._("Not satisfied, reopened: %(reason)s", reason=reason),
                    message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                )
        except UserError as error:
            return self.portal_my_complaint(complaint_id, reopen_error=error.args[0])
        return request.redirect(f"/my/complaints/{complaint_id}")

    def _complaint_rating_token(self, complaint_sudo):
        """The rating token of a resolved request not rated yet, for who rates it
        (security review L2): a portal user of the request's customer rates under
        their own name, with a token of their own (a colleague of the contact may
        rate, the rating is theirs); a visitor holding the request's access token
        (the link of its mails) rates as the request's contact, as the mail lets
        them. A token rates once (see ``_rating_refusal``)."""
        if complaint_sudo.state != "resolved" or not complaint_sudo._accepts_rating():
            return False
        user = request.env.user
        if user._is_public():
            partner = complaint_sudo._rating_get_partner()
        elif user.share and self._complaint_customer(complaint_sudo):
            partner = user.partner_id
        else:
            return False
        # sudo: the caller already checked the visitor may read the request (record
        # rule or its access token) and the partner is the visitor or, for a token
        # holder, the request's contact; _rating_get_access_token reads the pending
        # ratings (hidden from users) to return or create that partner's token. It
        # only allows rating this request, once.
        return complaint_sudo.sudo()._rating_get_access_token(partner=partner)

    # ------------------------------------------------------------------ requests: new
    def _complaint_form_options(self):
        """The choices of the request form, read with the portal user's rights."""
        env = request.env
        type_labels = dict(
            request.env["delivery.complaint"]._fields["request_type"]._description_selection(env)
        )
        urgency_labels = dict(
            request.env["delivery.complaint"]._fields["urgency"]._description_selection(env)
        )
        return {
            "request_types": [(key, type_labels[key]) for key, _label in REQUEST_TYPES],
            "complaint_types": env["delivery.complaint.type"].search([]),
            "shipments": env["delivery.shipment"].search([], limit=FORM_SHIPMENT_LIMIT),
            "urgencies": [(key, urgency_labels[key]) for key in URGENCIES],
        }

    def _render_complaint_form(self, form=None, errors=None):
        values = self._prepare_portal_layout_values()
        values.update(self._complaint_form_options())
        values.update(
            {
                "page_name": "complaint_new",
                "form": form or {},
                "errors": errors or {},
                "max_attachment_mb": MAX_ATTACHMENT_SIZE // (1024 * 1024),
                "max_attachments": MAX_ATTACHMENTS,
            }
        )
        return request.render("delivery_crm.portal_new_complaint", values)

    @staticmethod
    def _to_int(value):
        try:
            return int(value)
        except (TypeError, ValueError):
            return 0

    def _validate_complaint_form(self, post):
        """The request values from the form, or the errors to show (field -> message).
        Every id is checked against what the portal user may read."""
        env = request.env
        errors = {}
        subject = (post.get("subject") or "").strip()
        if not subject:
            errors["subject"] = env._("Give your request a summary.")
        elif len(subject) > MAX_SUBJECT_LENGTH:
            errors["subject"] = env._(
                "The summary is too long (at most %(max)s characters).", max=MAX_SUBJECT_LENGTH
            )
        request_type = post.get("request_type") or "complaint"
        if request_type not in dict(REQUEST_TYPES):
            errors["request_type"] = env._("Choose what kind of request this is.")
        complaint_type = env["delivery.complaint.type"]
        type_id = self._to_int(post.get("type_id"))
        if type_id:
            complaint_type = complaint_type.search([("id", "=", type_id)])
            if not complaint_type:
                errors["type_id"] = env._("Choose one of the complaint types.")
        elif request_type == "complaint":
            errors["type_id"] = env._("Choose what the complaint is about.")
        shipment = env["delivery.shipment"]
        shipment_id = self._to_int(post.get("shipment_id"))
        if post.get("shipment_id") and not shipment_id:
            errors["shipment_id"] = env._("Choose one of your deliveries.")
        if shipment_id:
            # only the user's own deliveries: the record rules filter this search
            shipment = shipment.search([("id", "=", shipment_id)])
            if not shipment or shipment.partner_id != env.user.partner_id.commercial_partner_id:
                errors["shipment_id"] = env._("Choose one of your deliveries.")
        urgency = post.get("urgency") or "normal"
        if urgency not in URGENCIES:
            errors["urgency"] = env._("Choose how urgent the request is.")
        description = (post.get("description") or "").strip()
        if len(description) > MAX_DESCRIPTION_LENGTH:
            errors["description"] = env._(
                "The description is too long (at most %(max)s characters).",
                max=MAX_DESCRIPTION_LENGTH,
            )
        vals = {
            "subject": subject,
            "request_type": request_type,
            "type_id": complaint_type.id if request_type == "complaint" else False,
            "shipment_id": shipment.id,
            "urgency": urgency,
            "description": plaintext2html(description) if description else False,
        }
        return vals, errors

    def _read_complaint_attachments(self, errors):
        """``[(name, content)]`` of the uploaded files; too many or too large files
        are reported in ``errors``."""
        env = request.env
        files = [
            upload
            for upload in request.httprequest.files.getlist("attachments")
            if upload and upload.filename
        ]
        if len(files) > MAX_ATTACHMENTS:
            errors["attachments"] = env._(
                "Send at most %(max)s files with a request.", max=MAX_ATTACHMENTS
            )
            return []
        attachments = []
        for upload in files:
            content = upload.read(MAX_ATTACHMENT_SIZE + 1)
            name = sanitize_filename(upload.filename)
            if len(content) > MAX_ATTACHMENT_SIZE:
                errors["attachments"] = env._(
                    "%(name)s is too large: a file may have at most %(max)s MB.",
                    name=name,
                    max=MAX_ATTACHMENT_SIZE // (1024 * 1024),
                )
                return []
            if guess_mimetype(content, default="") not in ALLOWED_ATTACHMENT_MIMETYPES:
                errors["attachments"] = env._(
                    "%(name)s is not a kind of file we accept: send photos, PDF, office "
                    "documents or text files.",
                    name=name,
                )
                return []
            attachments.append((name, content))
        return attachments

    @staticmethod
    def _complaint_intake_refusal():
        """Why the signed-in user may not file a request from the portal, or
        ``False`` (security review L1): the portal is for the delivery customers'
        own users; employees register requests in the back end."""
        env = request.env
        user = env.user
        # sudo: only whether the user's company is a delivery customer is read
        customer = user.partner_id.commercial_partner_id.sudo()
        if not user.share or not customer.is_delivery_customer:
            return env._(
                "Requests are filed here by our customers' users. Please contact us to file one."
            )
        return False

    @staticmethod
    def _complaint_rate_refusal():
        """The refusal when the user filed the company's limit of requests in the
        last hour (security review L1), or ``False``."""
        env = request.env
        limit = env.company.delivery_portal_request_limit
        if not limit:
            return False
        # sudo: the user's own requests of the last hour are counted, archived ones
        # too; nothing of them is returned
        filed = (
            env["delivery.complaint"]
            .sudo()
            .with_context(active_test=False)
            .search_count(
                [
                    ("create_uid", "=", env.uid),
                    ("channel", "=", "portal"),
                    ("create_date", ">=", Datetime.now() - timedelta(hours=1)),
                ],
                limit=limit,
            )
        )
        if filed < limit:
            return False
        return env._(
            "You can file at most %(limit)s requests an hour. Please try again later, "
            "or add to one of your requests.",
            limit=limit,
        )

    def _create_portal_complaint(self, vals, attachments):
        env = request.env
        user = env.user
        vals.update(
            {
                "partner_id": user.partner_id.commercial_partner_id.id,
                "contact_id": user.partner_id.id,
                "channel": "portal",
                "company_id": env.company.id,
            }
        )
        # sudo: portal users have no create right on requests. Every value above was
        # validated against what this user may read (complaint type, own delivery),
        # the customer is forced to the user's own company and the contact to the
        # user, and nothing else comes from the request; the owner is routed by
        # _prepare_intake (the customer's account manager or team leader).
        complaint_sudo = env["delivery.complaint"].sudo().create(vals)
        if attachments:
            self._post_portal_files(
                complaint_sudo, attachments, env._("Files sent with the request.")
            )
        return complaint_sudo

    def _post_portal_files(self, record_sudo, attachments, body):
        """Post the files a portal user sent with a form (``[(name, content)]``) on the
        record just filed (a request, a claim), as the user's message: they see them in
        its conversation."""
        env = request.env
        # sudo: ir.attachment - portal users cannot create attachments. The files are
        # created pending (as the chatter's uploads are), by this user, and message_post
        # below moves them onto the record; the context stores (X)HTML/SVG uploads as
        # plain text.
        attachment_sudo = (
            env["ir.attachment"]
            .sudo()
            .with_context(attachments_mime_plainxml=True)
            .create(
                [
                    {
                        "name": name,
                        "raw": content,
                        "res_model": "mail.compose.message",
                        "res_id": 0,
                    }
                    for name, content in attachments
                ]
            )
        )
        record_sudo.message_post(
            body=body,
            author_id=env.user.partner_id.id,
            attachment_ids=attachment_sudo.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    @http.route(
        ["/my/complaints/new"],
        type="http",
        auth="user",
        website=True,
        methods=["GET", "POST"],
        readonly=read_only_get,
    )
    def portal_new_complaint(self, **post):
        refusal = self._complaint_intake_refusal()
        if refusal:
            values = self._prepare_portal_layout_values()
            values.update(
                {"page_name": "complaint_new", "refusal": refusal, "form": {}, "errors": {}}
            )
            return request.render("delivery_crm.portal_new_complaint", values)
        if request.httprequest.method != "POST":
            form = {}
            shipment_id = self._to_int(post.get("shipment_id"))
            if shipment_id and request.env["delivery.shipment"].search([("id", "=", shipment_id)]):
                form = {"shipment_id": shipment_id}
            return self._render_complaint_form(form=form)
        vals, errors = self._validate_complaint_form(post)
        rate_refusal = self._complaint_rate_refusal()
        if rate_refusal:
            errors["form"] = rate_refusal
            attachments = []
        else:
            attachments = self._read_complaint_attachments(errors)
        form = {
            key: post.get(key)
            for key in ("subject", "request_type", "type_id", "urgency", "description")
        }
        form["shipment_id"] = self._to_int(post.get("shipment_id"))
        if errors:
            return self._render_complaint_form(form=form, errors=errors)
        try:
            with request.env.cr.savepoint():
                complaint_sudo = self._create_portal_complaint(vals, attachments)
        except (UserError, ValidationError) as error:
            return self._render_complaint_form(form=form, errors={"form": error.args[0]})
        return request.redirect(complaint_sudo.access_url)

    # ------------------------------------------------------------------ deliveries
    def _shipment_searchbar_sortings(self):
        env = request.env
        return {
            "date": {"label": env._("Newest"), "order": "date desc, id desc"},
            "name": {"label": env._("Reference"), "order": "name, id"},
            "status": {"label": env._("Status"), "order": "status, date desc, id desc"},
        }

    def _shipment_searchbar_filters(self):
        env = request.env
        return OrderedDict(
            [
                ("all", {"label": env._("All"), "domain": []}),
                (
                    "open",
                    {
                        "label": env._("Under way"),
                        "domain": [("status", "in", ["created", "in_transit"])],
                    },
                ),
                (
                    "delivered",
                    {"label": env._("Delivered"), "domain": [("status", "=", "delivered")]},
                ),
                (
                    "exception",
                    {"label": env._("Exceptions"), "domain": [("status", "=", "exception")]},
                ),
            ]
        )

    @http.route(
        ["/my/deliveries", "/my/deliveries/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_deliveries(self, page=1, sortby=None, filterby=None, **kw):
        values, shipments = self._portal_list_values(
            "delivery.shipment",
            "/my/deliveries",
            self._shipment_searchbar_sortings(),
            self._shipment_searchbar_filters(),
            page,
            sortby,
            filterby,
        )
        values.update({"shipments": shipments, "page_name": "shipment"})
        return request.render("delivery_crm.portal_my_deliveries", values)

    @http.route(
        ["/my/deliveries/<int:shipment_id>"], type="http", auth="user", website=True, readonly=True
    )
    def portal_my_delivery(self, shipment_id, **kw):
        shipment = request.env["delivery.shipment"].browse(shipment_id).exists()
        try:
            if not shipment:
                raise MissingError(request.env._("This delivery does not exist."))
            shipment.check_access("read")
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "shipment": shipment,
                "page_name": "shipment",
                "complaints": request.env["delivery.complaint"].search(
                    [("shipment_id", "=", shipment.id)]
                ),
            }
        )
        return request.render("delivery_crm.portal_my_delivery", values)
