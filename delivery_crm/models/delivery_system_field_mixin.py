from odoo import api, models
from odoo.exceptions import UserError


def code_defaults(model, names):
    """The defaults the code gives the fields ``names`` of ``model``: never a
    ``default_*`` context key nor a default a user saved for themselves (``ir.default``,
    which Odoo applies after the model's own checks)."""
    defaults = {}
    for name in names:
        field = model._fields[name]
        if field.default:
            value = field.convert_to_cache(field.default(model), model, validate=False)
            defaults[name] = field.convert_to_write(value, model)
    return defaults


class DeliverySystemFieldMixin(models.AbstractModel):
    """Fields the module maintains itself (workflow steps, clocks, counters, links):
    nobody sets them by hand, on create as on write, over any path — the forms, an
    import, RPC, ``/json/2`` or ``default_*`` context keys.

    A model lists them in ``_system_fields`` and calls :meth:`_check_system_fields` at
    the top of its ``write`` and :meth:`_check_system_fields_create` at the top of its
    ``create``; its own code writes them with :meth:`_write_system`, through ``write``
    (so every override of ``write``, in any module, sees them). Empty
    values on create are accepted: the web client sends the empty read-only fields of
    a new record."""

    _name = "delivery.system.field.mixin"
    _description = "Fields kept by the module"

    _system_fields = frozenset()

    def _system_field_names(self):
        return self._system_fields

    @api.model
    def default_get(self, fields):
        """A system field starts from the code's default only: a ``default_*`` context
        key or a user's saved default (``ir.default``) would set it past the checks."""
        names = self._system_field_names() & set(fields)
        if not names:
            return super().default_get(fields)
        defaults = super().default_get([name for name in fields if name not in names])
        defaults.update(code_defaults(self, names))
        return defaults

    def _check_system_fields(self, vals, accepted=None):
        """Refuse ``vals`` that set a system field (unless in superuser mode); on
        create, ``accepted`` maps the fields to the values that set nothing (their
        defaults)."""
        if self.env.su:
            return
        accepted = accepted or {}
        forged = sorted(
            name
            for name in set(vals) & self._system_field_names()
            if not (
                name in accepted
                and (
                    vals[name] == accepted[name]
                    or (not vals[name] and not (self._is_flag(name) and accepted[name]))
                )
            )
        )
        if forged:
            raise UserError(
                self.env._(
                    "%(fields)s of %(model)s are kept by the system and cannot be set by hand.",
                    fields=", ".join(
                        self._fields[name]._description_string(self.env) for name in forged
                    ),
                    model=self._description,
                )
            )

    def _write_system(self, vals):
        """Write what the module itself maintains (workflow dates, counters, links, the
        owner after a hand-over) through :meth:`write`, so that every override of
        ``write`` sees it, once the caller is known to be allowed to change the
        records; the guard lets it pass in superuser mode."""
        self.check_access("write")
        # sudo: the module's own bookkeeping of a change the caller may make (write
        # access checked just above); users are refused these fields by the guard
        return self.sudo().write(vals)

    def _is_flag(self, name):
        """A boolean's False is a value where the default is True (an archived
        request), not an empty field."""
        return self._fields[name].type == "boolean"

    def copy_data(self, default=None):
        """A copy starts its system fields afresh: the original's steps, clocks and
        figures are not the copy's (a copy made with them would be refused)."""
        vals_list = super().copy_data(default=default)
        names = self._system_field_names() - set(default or ())
        return [{k: v for k, v in vals.items() if k not in names} for vals in vals_list]

    @api.model
    def _check_system_fields_create(self, vals_list):
        """Check the values of a create, and return the model without the context
        defaults of system fields (a ``default_<field>`` key would otherwise set them).
        An empty value or the field's own default is accepted: the web client sends
        them for a new record."""
        names = self._system_field_names()
        context = {
            key: value
            for key, value in self.env.context.items()
            if not (key.startswith("default_") and key[len("default_") :] in names)
        }
        model = self
        if len(context) != len(self.env.context):
            model = self.with_context(context)  # pylint: disable=context-overridden
        given = {name for vals in vals_list for name in vals} & names
        defaults = model.default_get(list(given)) if given and not self.env.su else {}
        accepted = {name: defaults.get(name) for name in given}
        for vals in vals_list:
            model._check_system_fields(vals, accepted=accepted)
        return model
