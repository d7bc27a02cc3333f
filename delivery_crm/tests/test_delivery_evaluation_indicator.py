"""The evaluation's indicator registry (``delivery.evaluation._indicators``): every
registered indicator has what it needs, an incomplete registration is refused by the
same check, and a registration flows into the evaluation, its explanation, the Excel
columns, the PDF and the views without any other edit."""

from dataclasses import replace
from datetime import date, datetime
from unittest.mock import patch

from lxml import etree

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..models.delivery_evaluation_indicator import (
    PERIODS,
    Indicator,
    RawValue,
    Scale,
    indicator_problems,
)
from ..xlsx.evaluation import EvaluationExport
from .common import DeliveryCrmCommon

MAY = date(2026, 5, 1)


@tagged("post_install", "-at_install")
class TestEvaluationIndicatorRegistry(DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Evaluation = cls.env["delivery.evaluation"]
        cls.Scheme = cls.env["delivery.evaluation.scheme"]

    def _problems(self, indicator):
        return indicator_problems(indicator, self.Evaluation, self.Scheme)

    # ------------------------------------------------------------------ completeness
    def test_every_registered_indicator_is_complete(self):
        indicators = self.Evaluation._indicators()
        # the shipped indicators and their reviews (another module may add its own)
        periods = {i.key: set(i.periods) for i in indicators}
        full = {"quarterly", "annual"}
        shipped = {
            # the monthly review of key customers: satisfaction and complaints only
            "satisfaction": {"monthly", *full},
            "complaint": {"monthly", *full},
            "volume": full,
            "stability": full,
            "loyalty": full,
            "on_time": full,
        }
        self.assertEqual({key: periods.get(key) for key in shipped}, shipped)
        self.assertEqual(self.Evaluation._indicator_problems(), [])
        evaluation_fields, scheme_fields = self.Evaluation._fields, self.Scheme._fields
        for indicator in indicators:
            with self.subTest(indicator=indicator.key):
                self.assertTrue(indicator.label)
                self.assertTrue(indicator.periods)
                self.assertLessEqual(set(indicator.periods), set(PERIODS))
                self.assertEqual(evaluation_fields[f"has_{indicator.key}"].type, "boolean")
                for prefix in ("score_", "weight_"):
                    self.assertEqual(evaluation_fields[prefix + indicator.key].type, "float")
                self.assertEqual(scheme_fields[f"weight_{indicator.key}"].type, "float")
                for provider in indicator.providers:
                    self.assertTrue(callable(getattr(self.Evaluation, provider)))
                self.assertTrue(callable(getattr(self.Scheme, indicator.score)))
                for name in indicator.parameters:
                    self.assertIn(name, scheme_fields)
                for value in indicator.raw:
                    self.assertTrue(evaluation_fields[value.name].store, value.name)

    def test_incomplete_registration_is_refused(self):
        """The check the completeness test runs fails on what a registration lacks."""
        complete = next(i for i in self.Evaluation._indicators() if i.key == "on_time")
        self.assertEqual(self._problems(complete), [])
        speed = Indicator(
            "speed",
            "",
            raw=(RawValue("speed_days", "float8"),),
            providers=("_raw_speed",),
            score="_score_speed",
            scales=(Scale("speed_days", "speed_target"),),
            periods=("weekly",),
        )
        problems = "\n".join(self._problems(speed))
        for expected in (
            "speed: no label",
            "periods ('weekly',)",
            "delivery.evaluation has no field has_speed",
            "delivery.evaluation has no field score_speed",
            "delivery.evaluation has no field weight_speed",
            "delivery.evaluation.scheme has no field weight_speed",
            "delivery.evaluation has no field speed_days",
            "delivery.evaluation has no method _raw_speed",
            "delivery.evaluation.scheme has no method _score_speed",
            "delivery.evaluation.scheme has no field speed_target",
        ):
            self.assertIn(expected, problems)
        # a raw value of the wrong type, a scale of a value it does not need, a key
        # that is no identifier
        wrong = replace(
            complete,
            raw=(RawValue("on_time_rate", "int4"), RawValue("growth", "float8", flagged=True)),
            scales=(Scale("revenue", "revenue_target"),),
        )
        problems = "\n".join(self._problems(wrong))
        self.assertIn("delivery.evaluation.on_time_rate is a float field, not integer", problems)
        self.assertIn("its scale of revenue is not one of its raw values", problems)
        self.assertEqual(len(self._problems(replace(complete, key="On time"))), 1)
        # the registry as a whole: a key twice, a raw value defined two ways
        registered = self.Evaluation._indicators()
        with patch.object(
            type(self.Evaluation), "_indicators", lambda self: (*registered, wrong, complete)
        ):
            problems = "\n".join(self.Evaluation._indicator_problems())
        self.assertIn("indicator on_time is registered twice", problems)
        self.assertIn("raw value on_time_rate has two definitions", problems)
        # a flagged raw value named like an indicator: has_<name> would be written twice
        loyal = replace(
            complete,
            key="loyal",
            raw=(RawValue("on_time_rate", "float8", "percent", present="finished_count"),),
            scales=(),
        )
        flagged = replace(complete, raw=(RawValue("loyal", "float8", flagged=True),))
        with patch.object(type(self.Evaluation), "_indicators", lambda self: (loyal, flagged)):
            problems = "\n".join(self.Evaluation._indicator_problems())
        self.assertIn("raw value loyal is flagged: its has_loyal is indicator loyal's", problems)
        # a scale without a share, a target per a value the indicator does not need
        odd = replace(
            complete,
            scales=(
                Scale("on_time_rate", "on_time_target", "on_time_floor", share=0),
                Scale(
                    "on_time_rate",
                    "on_time_target",
                    per="effective_months",
                    zero_alone_is_no_data=True,
                ),
            ),
        )
        problems = "\n".join(self._problems(odd))
        self.assertIn("on_time: its scale of on_time_rate needs a positive share", problems)
        self.assertIn(
            "on_time: its scale of on_time_rate is per effective_months, not one of its raw values",
            problems,
        )

    def test_scheme_checks_follow_the_registry(self):
        scheme = self.env.ref("delivery_crm.delivery_evaluation_scheme_general")
        with self.assertRaises(ValidationError):
            scheme.weight_loyalty = 20.0  # the weights sum to 110
        with self.assertRaises(ValidationError):
            scheme.complaint_rate_target = 20.0  # lower is better: below its floor
        with self.assertRaises(ValidationError):
            scheme.active_share_target = 0.0  # a target without floor is positive
        with self.assertRaisesRegex(ValidationError, r"the target of On-time rate \(%\) must be"):
            scheme.with_user(self.user_manager).on_time_target = scheme.on_time_floor
        # the registry without loyalty: its weight no longer counts
        registered = self.Evaluation._indicators()
        with patch.object(
            type(self.Evaluation),
            "_indicators",
            lambda self: tuple(i for i in registered if i.key != "loyalty"),
        ):
            scheme.invalidate_recordset(["weight_total"])
            self.assertEqual(scheme.weight_total, 90.0)
            with self.assertRaises(ValidationError):
                scheme.write({"weight_volume": scheme.weight_volume})  # 90: checked too
            scheme.write({"weight_volume": scheme.weight_volume + 10, "weight_loyalty": 0.0})
        scheme.invalidate_recordset(["weight_total"])
        self.assertEqual(scheme.weight_total, 100.0)

    def test_composite_scores_follow_their_scales(self):
        """An indicator of several scales is scored from its registration: each
        scale's share, a target per month cooperated, the referral rule."""
        scheme = self.env.ref("delivery_crm.delivery_evaluation_scheme_general")
        registered = {i.key: i for i in self.Evaluation._indicators()}
        volume, loyalty = registered["volume"], registered["loyalty"]
        raw = {"revenue": scheme.revenue_target * 1.5, "growth": None, "effective_months": 3}
        growth = (0.0 - scheme.growth_floor) / (scheme.growth_target - scheme.growth_floor)
        self.assertAlmostEqual(scheme._score(raw, [volume])["volume"], 50.0)  # growth: no data
        raw["growth"] = 0.0
        self.assertAlmostEqual(
            scheme._score(raw, [volume])["volume"], (50.0 * 70 + growth * 100 * 30) / 100
        )
        revenue, growth_scale = volume.scales
        # the shares and the months are the registration's
        even = replace(
            volume,
            scales=(replace(revenue, share=50, per=None), replace(growth_scale, share=50)),
        )
        self.assertAlmostEqual(scheme._score(raw, [even])["volume"], (100.0 + growth * 100) / 2)
        # referrals count alone only when there are some
        raw = {"retention": None, "referrals": 0}
        self.assertIsNone(scheme._score(raw, [loyalty])["loyalty"])
        raw["referrals"] = scheme.referral_target
        self.assertEqual(scheme._score(raw, [loyalty])["loyalty"], 100.0)
        raw = {"retention": scheme.retention_target, "referrals": 0}
        self.assertAlmostEqual(scheme._score(raw, [loyalty])["loyalty"], 80.0)

    def test_upsert_takes_column_types_from_the_registry(self):
        """A raw value's PostgreSQL type is one the registry knows, or the run stops
        with a clear error before writing anything."""
        customer = self._new_customer(
            "Typed customer",
            customer_state="active",
            customer_class="key",
            account_manager_id=self.user_account_manager.id,
        )
        registered = self.Evaluation._indicators()
        complaint = next(i for i in registered if i.key == "complaint")
        rate = complaint.raw[-1]
        odd = replace(complaint, raw=(*complaint.raw[:-1], replace(rate, pg_type="text")))

        def registry(self):
            return tuple(odd if i.key == "complaint" else i for i in registered)

        run = self.env["delivery.evaluation.run"]._get_run("monthly", MAY)
        with (
            patch.object(type(self.Evaluation), "_indicators", registry),
            self.assertRaisesRegex(ValueError, "complaint_rate.*'text'"),
        ):
            run._evaluate_batch(customer)
        self.assertFalse(self.Evaluation.search([("partner_id", "=", customer.id)]))

    def test_partner_form_lists_every_indicator_score(self):
        """The customer form's evaluation history has a (hidden by default) score
        column per registered indicator, and none of an indicator no longer there."""

        def columns():
            self.env.registry.clear_cache("templates")
            arch = (
                self.env["res.partner"]
                .with_user(self.user_account_manager)
                .get_view(view_type="form")["arch"]
            )
            nodes = etree.fromstring(arch).xpath("//field[@name='evaluation_ids']/list/field")
            return {node.get("name"): node.get("optional") for node in nodes}

        registered = self.Evaluation._indicators()
        shown = columns()
        for indicator in registered:
            self.assertEqual(shown.get(f"score_{indicator.key}"), "hide", indicator.key)
        with patch.object(
            type(self.Evaluation),
            "_indicators",
            lambda self: tuple(i for i in registered if i.key != "volume"),
        ):
            shown = columns()
        self.assertNotIn("score_volume", shown)
        self.assertIn("score_on_time", shown)
        self.env.registry.clear_cache("templates")

    # ------------------------------------------------------------------ one registration
    def test_a_registration_flows_everywhere(self):
        """A registration the module does not ship — its own label, provider, score
        method and periods, on the fields of ``on_time`` — changes the evaluation, its
        explanation, the Excel columns, the PDF and the views, with no other edit."""
        customer = self._new_customer(
            "Registry customer",
            customer_state="active",
            customer_class="key",
            account_manager_id=self.user_account_manager.id,
            cooperation_start_date="2025-01-01",
        )
        self.env["delivery.shipment"].create(
            {
                "name": "REG-1",
                "partner_id": customer.id,
                "date": datetime(2026, 5, 10, 2),
                "promised_datetime": datetime(2026, 5, 10, 23),
                "delivered_datetime": datetime(2026, 5, 10, 22),
                "revenue": 100.0,
            }
        )
        evaluation_class = type(self.Evaluation)
        scheme_class = type(self.Scheme)
        registered = self.Evaluation._indicators()
        on_time = next(i for i in registered if i.key == "on_time")
        punctuality = replace(
            on_time,
            label="Delivery punctuality",
            raw=(on_time.raw[-1],),  # the on-time rate alone
            providers=("_raw_shipments", "_raw_test_punctuality"),
            score="_score_test_punctuality",
            periods=PERIODS,  # also in the monthly review
        )
        provided = []

        def provider(self, partner_ids, period, raw):
            provided.append(tuple(partner_ids))
            return {pid: {"on_time_rate": 97.5} for pid in partner_ids}

        def registry(self):
            return (*(i for i in registered if i.key != "on_time"), punctuality)

        with (
            patch.object(evaluation_class, "_indicators", registry),
            patch.object(evaluation_class, "_raw_test_punctuality", provider, create=True),
            patch.object(
                scheme_class,
                "_score_test_punctuality",
                lambda self, raw, indicator, figures: raw["on_time_rate"] - 50.0,
                create=True,
            ),
        ):
            self.env.registry.clear_cache("templates")
            self.assertEqual(self.Evaluation._indicator_problems(), [])
            run = self.env["delivery.evaluation.run"]._get_run("monthly", MAY)
            run._evaluate_batch(customer)
            self.assertEqual(provided, [(customer.id,)], "one call for the batch")
            evaluation = self.Evaluation.search(
                [("partner_id", "=", customer.id), ("run_id", "=", run.id)]
            )
            self.assertEqual(evaluation.on_time_rate, 97.5)
            self.assertTrue(evaluation.has_on_time)
            self.assertEqual(evaluation.score_on_time, 47.5)
            # the key scheme: complaint 15 and punctuality 10 (5 went to the damage/loss
            # rate; satisfaction: no data): 10 of 25
            self.assertEqual((evaluation.has_complaint, evaluation.weight_on_time), (True, 40.0))
            self.assertAlmostEqual(evaluation.total_score, (100.0 * 15 + 47.5 * 10) / 25, places=2)
            self.assertIn("Delivery punctuality", evaluation.explanation)
            self.assertNotIn("On-time rate<", evaluation.explanation)
            # Excel
            wizard = self.env["delivery.xlsx.export.wizard"].create(
                {"export_type": "evaluation", "period_type": "monthly", "period_date": MAY}
            )
            headers = [header for _name, header, _style in EvaluationExport(wizard).columns()]
            self.assertIn("Delivery punctuality score", headers)
            self.assertIn("Delivery punctuality weight", headers)
            self.assertNotIn("On-time rate score", headers)
            # PDF (its HTML) and views
            html = (
                self.env["ir.actions.report"]
                ._render_qweb_html(
                    "delivery_crm.action_report_delivery_evaluation", evaluation.ids
                )[0]
                .decode()
            )
            self.assertIn("Delivery punctuality", html)
            form = self.Evaluation.get_view(view_type="form")["arch"]
            self.assertIn('string="Delivery punctuality"', form)
            self.assertNotIn('name="on_time_count"', form)  # not one of its raw values
        self.env.registry.clear_cache("templates")
        form = self.Evaluation.get_view(view_type="form")["arch"]
        self.assertNotIn("Delivery punctuality", form)
        self.assertIn('name="on_time_count"', form)

    def test_views_show_every_indicator(self):
        evaluation_form = self.Evaluation.get_view(view_type="form")["arch"]
        evaluation_list = self.Evaluation.get_view(view_type="list")["arch"]
        scheme_form = self.Scheme.get_view(view_type="form")["arch"]
        scheme_list = self.Scheme.get_view(view_type="list")["arch"]
        for indicator in self.Evaluation._indicators():
            with self.subTest(indicator=indicator.key):
                for prefix in ("score_", "weight_"):
                    self.assertIn(f'name="{prefix}{indicator.key}"', evaluation_form)
                self.assertIn(f'name="score_{indicator.key}"', evaluation_list)
                self.assertIn(f'name="weight_{indicator.key}"', scheme_form)
                self.assertIn(f'name="weight_{indicator.key}"', scheme_list)
                for value in indicator.raw:
                    self.assertIn(f'name="{value.name}"', evaluation_form)
                for name in indicator.parameters:
                    self.assertIn(f'name="{name}"', scheme_form)

    def test_form_shows_an_indicator_in_its_reviews_only(self):
        """A monthly evaluation (satisfaction and complaint rate only) does not show
        the other indicators' values, scores and weights; a value two indicators share
        shows with the one reviewed every period (deliveries: the complaint rate's
        denominator)."""
        form = etree.fromstring(
            self.Evaluation.with_user(self.user_account_manager).get_views([(False, "form")])[
                "views"
            ]["form"]["arch"]
        )
        full_reviews = "period_type not in ['quarterly', 'annual']"
        for indicator in self.Evaluation._indicators():
            with self.subTest(indicator=indicator.key):
                monthly = "monthly" in indicator.periods
                group = form.find(f".//group[@name='indicator_values_{indicator.key}']")
                nodes = [
                    form.find(f".//field[@name='{p}{indicator.key}']")
                    for p in ("score_", "weight_")
                ]
                if group is not None:
                    nodes.append(group)
                for node in nodes:
                    self.assertEqual(node.get("invisible"), None if monthly else full_reviews)
        complaint = form.find(".//group[@name='indicator_values_complaint']")
        self.assertIsNotNone(complaint.find("field[@name='delivery_count']"))
        self.assertEqual(len(form.findall(".//field[@name='delivery_count']")), 1)
