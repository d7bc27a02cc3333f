import re
from datetime import datetime, timedelta
from pathlib import Path

import polib

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.translate import TranslationModuleReader

from .common import DeliveryCrmCommon, resolve_complaint

I18N = Path(__file__).resolve().parent.parent / "i18n"
LANGS = ("zh_CN", "zh_TW")
# Simplified-only characters (their Traditional forms differ) that a Simplified gloss
# copied into zh_TW brings along
SIMPLIFIED_ONLY = set(
    "问责专属负门户级审计这们说时间对发会过还进与为动应该业务报关图书简汉语页请记录选择认"
    "删编辑导设类别规则态联数统经实现单击开总务达处"
)
# the Delivery CRM manager role, however a message calls it in English
MANAGER_ROLE = re.compile(r"\b(?:Delivery CRM managers?|an? manager|the manager)\b")


@tagged("post_install", "-at_install")
class TestI18n(DeliveryCrmCommon):
    """zh_CN and zh_TW stay complete as the module grows (R12)."""

    def _po(self, lang):
        return polib.pofile(str(I18N / f"{lang}.po"))

    def _load_chinese(self):
        for lang in LANGS:
            self.env["res.lang"]._activate_lang(lang)
        self.env["ir.module.module"]._load_module_terms(
            ["delivery_crm"], list(LANGS), overwrite=True
        )

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
        self.user_account_manager.lang = "zh_CN"
        customer = self._new_customer()
        with self.assertRaises(UserError) as err:
            customer.with_user(self.user_account_manager).with_context(
                lang="zh_CN"
            ).action_activate()
        self.assertIn("客户经理", str(err.exception))
        self.assertNotIn("Assign an account manager", str(err.exception))
        # the 1 October occasion is the mainland's National Day; Taiwan's is 10 October
        national_day = self.env.ref("delivery_crm.delivery_care_occasion_national_day")
        double_tenth = self.env.ref("delivery_crm.delivery_care_occasion_double_tenth")
        self.assertEqual(national_day.with_context(lang="zh_CN").name, "国庆节")
        self.assertEqual(national_day.with_context(lang="zh_TW").name, "中國大陸國慶日（10月1日）")
        self.assertEqual(double_tenth.with_context(lang="zh_TW").name, "國慶日（雙十節）")
        self.assertEqual(double_tenth.with_context(lang="zh_CN").name, "双十节")

    def test_manager_role_has_one_name(self):
        """A message that sends staff to the Delivery CRM manager names the role as the
        group is named (主管), never 管理员 (the administrators) or 经理 (account
        managers)."""
        for lang in LANGS:
            po = self._po(lang)
            role = next(
                e.msgstr
                for e in po
                if ("model:res.groups,name:delivery_crm.group_delivery_crm_manager", "")
                in e.occurrences
            )
            self.assertEqual(role, "主管")
            wrong = [e.msgid for e in po if MANAGER_ROLE.search(e.msgid) and role not in e.msgstr]
            with self.subTest(lang=lang):
                self.assertFalse(wrong, f"{lang}: the manager role not named {role}: {wrong}")

    def test_zh_tw_has_no_simplified_glosses(self):
        po = self._po("zh_TW")
        simplified = {
            e.msgid: sorted(SIMPLIFIED_ONLY & set(e.msgstr))
            for e in po
            if SIMPLIFIED_ONLY & set(e.msgstr)
        }
        self.assertFalse(simplified, f"Simplified characters in zh_TW: {simplified}")
        # and the English source glosses nothing in Chinese
        glossed = [
            e.msgid for e in po if re.search(r"\([^()§]*[\u4e00-\u9fff]{2,}[^()§]*\)", e.msgid)
        ]
        self.assertFalse(glossed, f"Chinese glosses in the English source: {glossed}")

    def test_customer_notices_in_chinese(self):
        """What a customer reads in zh_CN and zh_TW: the delivery-exception mail
        apologises for the shipment (货件/貨件) and its remedy, the SMS carry the
        【company】 signature, and the rating mail has no English left for mail clients
        that block its images."""
        self._load_chinese()
        company = self.company.name
        t0 = datetime(2026, 9, 1, 8, 0)
        expected = {
            "zh_CN": ("您的货件", "在运输途中遗失", "满意", "不满意"),
            "zh_TW": ("您的貨件", "於運送途中遺失", "滿意", "不滿意"),
        }
        for lang, (shipment_word, lost, satisfied, not_satisfied) in expected.items():
            with self.subTest(lang=lang):
                customer = self._new_customer(
                    f"Customer {lang}",
                    lang=lang,
                    customer_state="active",
                    account_manager_id=self.user_account_manager.id,
                    email=f"{lang}@customer.example.com",
                    phone="+86 138 0000 0001",
                )
                shipment = (
                    self.env["delivery.shipment"]
                    .with_user(self.user_account_manager)
                    .create(
                        {
                            "name": f"WB-{lang}",
                            "partner_id": customer.id,
                            "date": t0,
                            "promised_datetime": t0 + timedelta(hours=24),
                            "outcome": "lost",
                        }
                    )
                )
                mail = shipment.message_ids.filtered(
                    lambda m: m.subtype_id == self.env.ref("mail.mt_comment")
                )
                self.assertEqual(len(mail), 1)
                self.assertIn(shipment_word, str(mail.body))
                self.assertIn(lost, str(mail.body))
                self.assertNotIn("您的配送", str(mail.body) + mail.subject)
                sms = self.env["sms.sms"].search([("partner_id", "=", customer.id)])
                self.assertEqual(len(sms), 1)
                self.assertTrue(sms.body.startswith(f"【{company}】"), sms.body)
                # the rating mail of a resolved request
                complaint = (
                    self.env["delivery.complaint"]
                    .with_user(self.user_account_manager)
                    .create(
                        {
                            "subject": "Parcel lost",
                            "partner_id": customer.id,
                            "type_id": self.env.ref(
                                "delivery_crm.delivery_complaint_type_delay"
                            ).id,
                        }
                    )
                )
                resolve_complaint(
                    complaint,
                    responsible=self.user_manager,
                    corrective_owner=self.user_account_manager,
                    preventive_owner=self.user_manager,
                )
                rating_mail = complaint.message_ids.filtered(
                    lambda m: "#complaint_rating" in str(m.body)
                )
                self.assertEqual(len(rating_mail), 1)
                body = str(rating_mail.body)
                for word in ("Satisfied", "Neutral", "Not satisfied"):
                    self.assertNotIn(f'"{word}"', body)
                self.assertIn(f'alt="{satisfied}"', body)
                self.assertIn(f'title="{not_satisfied}"', body)
