from pathlib import Path

import polib

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.translate import TranslationModuleReader

from .common import DeliveryCrmCommon

I18N = Path(__file__).resolve().parent.parent / "i18n"
LANGS = ("zh_CN", "zh_TW")


@tagged("post_install", "-at_install")
class TestI18n(DeliveryCrmCommon):
    """zh_CN and zh_TW stay complete as the module grows (R12)."""

    def _source_terms(self):
        reader = TranslationModuleReader(self.env.cr, modules=["delivery_crm"])
        return {
            src for module, _type, _name, _id, src, _value, _c in reader if module == "delivery_crm"
        }

    def test_every_term_is_translated(self):
        terms = self._source_terms()
        self.assertGreater(len(terms), 100)
        pot = {entry.msgid for entry in polib.pofile(str(I18N / "delivery_crm.pot"))}
        stale = sorted(terms - pot)
        self.assertFalse(
            bool(stale),
            f"i18n/delivery_crm.pot is out of date (odoo-bin i18n export): {stale[:10]}",
        )
        for lang in LANGS:
            po = polib.pofile(str(I18N / f"{lang}.po"))
            translated = {e.msgid for e in po if e.msgstr.strip() and "fuzzy" not in e.flags}
            missing = sorted(terms - translated)
            with self.subTest(lang=lang):
                self.assertFalse(
                    bool(missing), f"{lang}.po lacks {len(missing)} terms: {missing[:10]}"
                )

    def test_translations_load_and_apply(self):
        for lang in LANGS:
            self.env["res.lang"]._activate_lang(lang)
        self.env["ir.module.module"]._load_module_terms(
            ["delivery_crm"], list(LANGS), overwrite=True
        )
        self.assertEqual(self.tier_gold.with_context(lang="zh_CN").name, "金卡客户")
        self.assertEqual(self.tier_gold.with_context(lang="zh_TW").name, "金卡客戶")
        labels = dict(
            self.env["res.partner"]
            .with_context(lang="zh_TW")
            ._fields["customer_state"]
            ._description_selection(self.env(context={"lang": "zh_TW"}))
        )
        self.assertEqual(labels["terminated"], "終止合作")
        # error messages raised by the code reach the user in their language (the web
        # client and RPC put the user's language in the context)
        self.user_crm.lang = "zh_CN"
        customer = self._new_customer()
        with self.assertRaises(UserError) as err:
            customer.with_user(self.user_crm).with_context(lang="zh_CN").action_activate()
        self.assertIn("客户经理", str(err.exception))
        self.assertNotIn("Assign an account manager", str(err.exception))
