from odoo import api, models
from odoo.exceptions import AccessError

from .delivery_system_field_mixin import code_defaults


class DeliverySystemLogMixin(models.AbstractModel):
    """A log that only the system writes (R9: the audit and export logs): nobody but the
    superuser creates, changes or deletes its rows, whatever access rights a user is
    given; the module's code writes them with sudo(), which keeps the real user's id."""

    _name = "delivery.system.log.mixin"
    _description = "Log written by the system only"

    def _raise_system_log(self):
        raise AccessError(
            self.env._(
                "%(log)s is kept by the system: nobody creates, changes or deletes its rows.",
                log=self._description,
            )
        )

    @api.model
    def default_get(self, fields):  # pylint: disable=method-required-super
        """What a row says comes from the code that writes it: not from the caller's
        ``default_*`` context keys nor from their saved defaults (``ir.default``)."""
        # no super(): it is what reads the context keys and the saved defaults
        return code_defaults(self, [name for name in fields if name in self._fields])

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self._raise_system_log()
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._raise_system_log()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_not_superuser(self):
        if not self.env.su:
            self._raise_system_log()
