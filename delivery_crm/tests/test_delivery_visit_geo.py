import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.base_geocoder import AMAP_KEY_PARAM, AMAP_URL_PARAM
from ..models.delivery_geo import gcj02_to_wgs84, out_of_china, wgs84_to_gcj02
from ..models.delivery_visit import haversine_km
from .common import DeliveryCrmCommon

CRON_GEOLOCATE = "delivery_crm.ir_cron_geolocate_customers"
# the Bund, Shanghai (WGS-84)
BUND = (31.2400, 121.4900)
# what the fake AMap answers for an address (GCJ-02 "lon,lat", as AMap writes it)
AMAP_POSITIONS = {"Zhongshan East 1st Road": "121.494585,31.238190"}
SHANGHAI_CENTRE = "121.473701,31.230416"


class FakeAmap(BaseHTTPRequestHandler):
    """The AMap geocoding web service, as its documentation shows it: a JSON answer with
    ``status``, ``count`` and ``geocodes[].location`` in GCJ-02."""

    requests_seen = []

    def do_GET(self):
        query = parse_qs(urlsplit(self.path).query)
        FakeAmap.requests_seen.append(query)
        address = query.get("address", [""])[0]
        if query.get("key") != ["test-key"]:
            body = {"status": "0", "info": "INVALID_USER_KEY", "infocode": "10001"}
        else:
            found = [
                {"location": loc, "level": "门牌号"}
                for street, loc in AMAP_POSITIONS.items()
                if street in address
            ]
            if not found and "Shanghai" in address:
                # AMap's answer for an address it only places in the city: the centre
                found = [{"location": SHANGHAI_CENTRE, "level": "市"}]
            body = {
                "status": "1",
                "info": "OK",
                "count": str(len(found)),
                "geocodes": found,
            }
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestDeliveryVisitGeo(DeliveryCrmCommon):
    """Geolocation for real (issue 16 item 1): customers geocoded from their address
    (AMap for mainland China, against a local server: no outside network), positions
    validated, the check-in's accuracy, a manager's take-over audited, the staff KPI."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAmap)
        thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        thread.start()
        cls.addClassCleanup(cls.server.server_close)
        cls.addClassCleanup(cls.server.shutdown)
        params = cls.env["ir.config_parameter"]
        params.set_param(
            "base_geolocalize.geo_provider", cls.env.ref("delivery_crm.geoprovider_amap").id
        )
        params.set_param(AMAP_URL_PARAM, f"http://127.0.0.1:{cls.server.server_port}/geo")
        params.set_param(AMAP_KEY_PARAM, "test-key")
        cls.china = cls.env.ref("base.cn")
        cls.customer = cls._new_customer(
            "Bund Logistics 外滩物流",
            account_manager_id=cls.user_staff.id,
            customer_state="active",
            street="Zhongshan East 1st Road 1",
            city="Shanghai",
            country_id=cls.china.id,
        )

    def setUp(self):
        super().setUp()
        FakeAmap.requests_seen.clear()

    def _visit(self, user=None, **vals):
        return (
            self.env["delivery.visit"]
            .with_user(user or self.user_staff)
            .create(
                {
                    "name": "Quarterly review",
                    "partner_id": self.customer.id,
                    "user_id": (user or self.user_staff).id,
                    **vals,
                }
            )
        )

    # ------------------------------------------------------------------ GCJ-02
    def test_gcj02_wgs84_known_points(self):
        # Tiananmen area, the reference pair of the coordtransform libraries
        lat, lon = wgs84_to_gcj02(39.915, 116.404)
        self.assertAlmostEqual(lat, 39.91640428150164, places=9)
        self.assertAlmostEqual(lon, 116.41024449916938, places=9)
        lat, lon = gcj02_to_wgs84(39.91640428150164, 116.41024449916938)
        self.assertAlmostEqual(lat, 39.915, places=8)
        self.assertAlmostEqual(lon, 116.404, places=8)
        # the shift is a few hundred metres in Shanghai; the way back is exact
        gcj = wgs84_to_gcj02(*BUND)
        self.assertGreater(haversine_km(*BUND, *gcj), 0.3)
        back = gcj02_to_wgs84(*gcj)
        self.assertLess(haversine_km(*BUND, *back), 0.000001)
        # outside mainland China both systems are the same (Paris)
        self.assertTrue(out_of_china(48.8566, 2.3522))
        self.assertEqual(wgs84_to_gcj02(48.8566, 2.3522), (48.8566, 2.3522))
        self.assertEqual(gcj02_to_wgs84(48.8566, 2.3522), (48.8566, 2.3522))

    # ------------------------------------------------------------------ geocoding
    def test_geolocate_button_with_amap(self):
        """A staff member geolocates their customer: the AMap answer (GCJ-02) is stored
        as WGS-84."""
        self.customer.with_user(self.user_staff).action_delivery_geolocate()
        self.assertEqual(len(FakeAmap.requests_seen), 1)
        self.assertIn("Zhongshan East 1st Road", FakeAmap.requests_seen[0]["address"][0])
        expected = gcj02_to_wgs84(31.238190, 121.494585)
        self.assertAlmostEqual(self.customer.partner_latitude, expected[0], places=6)
        self.assertAlmostEqual(self.customer.partner_longitude, expected[1], places=6)
        self.assertTrue(self.customer.date_localization)
        # the position is the WGS-84 one: a few hundred metres from the GCJ-02 point
        self.assertGreater(
            haversine_km(*expected, 31.238190, 121.494585),
            0.3,
        )

    def test_geolocate_not_found_and_refused(self):
        nowhere = self._new_customer("Nowhere Ltd", street="Unknown lane", city="Atlantis")
        with self.assertRaisesRegex(UserError, "No position found for the address of Nowhere"):
            nowhere.with_user(self.user_account_manager).action_delivery_geolocate()
        self.assertFalse(nowhere.partner_latitude)
        self.env["ir.config_parameter"].set_param(AMAP_KEY_PARAM, "wrong")
        with self.assertRaisesRegex(UserError, "AMap refused the request: INVALID_USER_KEY"):
            self.customer.with_user(self.user_staff).action_delivery_geolocate()
        self.env["ir.config_parameter"].set_param(AMAP_KEY_PARAM, "")
        with self.assertRaisesRegex(UserError, "needs its web-service key"):
            self.customer.with_user(self.user_staff).action_delivery_geolocate()
        self.assertFalse(self.customer.partner_latitude)
        # the auditor reads, never changes a customer
        with self.assertRaises(AccessError):
            self.customer.with_user(self.user_auditor).action_delivery_geolocate()

    def test_geolocate_cron_batches_and_address_change(self):
        nowhere = self._new_customer("Nowhere Ltd", street="Unknown lane", city="Atlantis")
        placed = self._new_customer(
            "Placed Ltd", street="Somewhere", partner_latitude=30.0, partner_longitude=120.0
        )
        self._run_cron(CRON_GEOLOCATE)
        self.assertTrue(self.customer.partner_latitude)
        self.assertFalse(nowhere.partner_latitude)
        self.assertTrue(nowhere.delivery_geo_tried_date)
        self.assertEqual(placed.partner_latitude, 30.0)  # has a position: left alone
        addresses = [query["address"][0] for query in FakeAmap.requests_seen]
        self.assertTrue(any("Unknown lane" in address for address in addresses))
        self.assertFalse(any("Somewhere" in address for address in addresses))
        # a second run has nothing to do: the address not found waits for a change
        FakeAmap.requests_seen.clear()
        self._run_cron(CRON_GEOLOCATE)
        self.assertFalse(FakeAmap.requests_seen)
        nowhere.with_user(self.user_account_manager).write(
            {"street": "Zhongshan East 1st Road 200"}
        )
        self.assertFalse(nowhere.delivery_geo_tried_date)
        self._run_cron(CRON_GEOLOCATE)
        self.assertTrue(nowhere.partner_latitude)
        # a moved customer loses its position (Odoo's base_geolocalize) and gets a new one
        self.customer.with_user(self.user_staff).write({"street": "Unknown lane 3"})
        self.assertFalse(self.customer.partner_latitude)

    # ------------------------------------------------------------------ bad input
    def test_bad_coordinates_refused(self):
        customer = self.customer.with_user(self.user_account_manager)
        for lat, lon in ((91.0, 121.0), (-90.5, 121.0), (31.0, 180.5), (31.0, -181.0)):
            with (
                self.subTest(lat=lat, lon=lon),
                self.assertRaisesRegex(ValidationError, "is not a position on Earth"),
                self.env.cr.savepoint(),
            ):
                customer.write({"partner_latitude": lat, "partner_longitude": lon})
        self.customer.invalidate_recordset()
        self.assertFalse(self.customer.partner_latitude)
        self.assertFalse(
            self.env["delivery.audit.log"].search(
                [("res_id", "=", self.customer.id), ("field_id.name", "=", "partner_latitude")]
            )
        )
        customer.write({"partner_latitude": 31.24, "partner_longitude": 121.49})
        self.assertEqual(self.customer.partner_latitude, 31.24)
        # service staff geolocate, they do not place a customer by hand
        with self.assertRaisesRegex(AccessError, "Only account managers set a customer's position"):
            self.customer.with_user(self.user_staff).write({"partner_latitude": 30.0})
        with self.assertRaisesRegex(AccessError, "Only account managers set a customer's position"):
            self._new_customer("Placed by staff", user=self.user_staff, partner_latitude=30.0)
        self.assertEqual(self.customer.partner_latitude, 31.24)

    # ------------------------------------------------------------------ check-ins
    def test_check_in_accuracy_uncertain(self):
        self.customer.write({"partner_latitude": BUND[0], "partner_longitude": BUND[1]})
        precise = self._visit()
        precise.action_check_in_at(latitude=BUND[0], longitude=BUND[1], accuracy=25)
        self.assertEqual(precise.location_status, "ok")
        self.assertEqual(precise.check_in_accuracy, 25)
        # 1.5 km of uncertainty with a 1 km radius: the distance says nothing
        vague = self._visit()
        vague.action_check_in_at(latitude=BUND[0], longitude=BUND[1], accuracy=1500)
        self.assertEqual(vague.location_status, "uncertain")
        self.assertTrue(any("accurate to 1500 m only" in str(m.body) for m in vague.message_ids))
        self.company.delivery_visit_radius_km = 2.0
        wide = self._visit()
        wide.action_check_in_at(latitude=BUND[0], longitude=BUND[1], accuracy=1500)
        self.assertEqual(wide.location_status, "ok")
        bad = self._visit()
        for accuracy in ("a lot", -5):
            with self.subTest(accuracy=accuracy), self.assertRaises(UserError):
                bad.action_check_in_at(latitude=BUND[0], longitude=BUND[1], accuracy=accuracy)
        self.assertFalse(bad.check_in_date)

    def test_manager_takes_check_in_position_audited(self):
        """The customer's address was not found: the manager takes the position of a
        check-in made there; the change is in the audit log."""
        visit = self._visit()
        visit.action_check_in_at(latitude=BUND[0], longitude=BUND[1], accuracy=10)
        self.assertEqual(visit.location_status, "no_customer_location")
        for user in (self.user_staff, self.user_account_manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                visit.with_user(user).action_use_check_in_position()
        self.assertFalse(self.customer.partner_latitude)
        visit.with_user(self.user_manager).action_use_check_in_position()
        self.assertEqual((self.customer.partner_latitude, self.customer.partner_longitude), BUND)
        self.assertEqual(visit.location_status, "ok")
        logs = self.env["delivery.audit.log"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                ("field_id.name", "in", ["partner_latitude", "partner_longitude"]),
            ]
        )
        self.assertEqual(len(logs), 2)
        self.assertEqual(logs.user_id, self.user_manager)
        self.assertEqual(sorted(logs.mapped("new_value")), sorted([str(BUND[0]), str(BUND[1])]))
        unchecked = self._visit()
        with self.assertRaisesRegex(UserError, "has no check-in position"):
            unchecked.with_user(self.user_manager).action_use_check_in_position()

    def test_uncertain_check_in_position_not_taken(self):
        """task fix16: a check-in accurate to 5 km is no customer location: refused with
        a clear error, nothing written (position, audit, check-in)."""
        vague = self._visit()
        vague.action_check_in_at(latitude=BUND[0], longitude=BUND[1], accuracy=5000)
        self.assertEqual(vague.location_status, "no_customer_location")
        with self.assertRaisesRegex(UserError, "accurate to 5000 m only"):
            vague.with_user(self.user_manager).action_use_check_in_position()
        self.customer.write({"partner_latitude": 31.0, "partner_longitude": 121.0})
        uncertain = self._visit()
        uncertain.action_check_in_at(latitude=BUND[0], longitude=BUND[1], accuracy=1500)
        self.assertEqual(uncertain.location_status, "uncertain")
        with self.assertRaisesRegex(UserError, "accurate to 1500 m only"):
            uncertain.with_user(self.user_manager).action_use_check_in_position()
        self.customer.invalidate_recordset()
        self.assertEqual(
            (self.customer.partner_latitude, self.customer.partner_longitude), (31.0, 121.0)
        )
        self.assertEqual(uncertain.location_status, "uncertain")
        self.assertFalse(
            self.env["delivery.audit.log"].search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", self.customer.id),
                    ("field_id.name", "=", "partner_latitude"),
                    ("user_id", "=", self.user_manager.id),
                ]
            )
        )

    def test_city_level_answer_not_stored(self):
        """task fix16: a street the provider does not know is placed at the city centre
        (AMap says so with its level; Odoo's base_geolocalize would also ask again with
        the city alone): no position is stored, the customer is marked tried."""
        unknown = self._new_customer(
            "Unknown Street Co",
            street="Nonexistent lane 9",
            city="Shanghai",
            country_id=self.china.id,
        )
        with self.assertRaisesRegex(UserError, "No position found"):
            unknown.with_user(self.user_account_manager).action_delivery_geolocate()
        self.assertFalse(unknown.partner_latitude)
        self.assertEqual(len(FakeAmap.requests_seen), 1, "no second, city-only query")
        FakeAmap.requests_seen.clear()
        self._run_cron(CRON_GEOLOCATE)
        self.assertFalse(unknown.partner_latitude or unknown.partner_longitude)
        self.assertTrue(unknown.delivery_geo_tried_date)
        # without a street there is nothing to place the customer at
        city_only = self._new_customer("City Only Co", city="Shanghai", country_id=self.china.id)
        with self.assertRaisesRegex(UserError, "No position found"):
            city_only.with_user(self.user_account_manager).action_delivery_geolocate()
        self.assertFalse(city_only.partner_latitude)

    def test_staff_kpi_counts_far_and_uncertain_check_ins(self):
        self.customer.write({"partner_latitude": BUND[0], "partner_longitude": BUND[1]})
        ok, far, vague, vague2 = (self._visit() for _i in range(4))
        ok.action_check_in_at(latitude=BUND[0], longitude=BUND[1], accuracy=10)
        far.action_check_in_at(latitude=BUND[0] + 0.1, longitude=BUND[1], accuracy=10)
        vague.action_check_in_at(latitude=BUND[0], longitude=BUND[1], accuracy=5000)
        vague2.action_check_in_at(latitude=BUND[0], longitude=BUND[1], accuracy=3000)
        self.assertEqual(
            (far.location_status, vague.location_status, vague2.location_status),
            ("far", "uncertain", "uncertain"),
        )
        self.env.flush_all()
        Report = self.env["delivery.staff.kpi.report"].with_user(self.user_manager)
        rows = Report.search([("user_id", "=", self.user_staff.id)])
        self.assertEqual(sum(rows.mapped("checkins_far")), 1)
        self.assertEqual(sum(rows.mapped("checkins_uncertain")), 2)
        self.assertEqual(sum(rows.mapped("visits_planned")), 4)
        # a cancelled visit's check-in does not count
        vague2.action_cancel()
        self.env.flush_all()
        self.env.invalidate_all()
        rows = Report.search([("user_id", "=", self.user_staff.id)])
        self.assertEqual(sum(rows.mapped("checkins_uncertain")), 1)

    @mute_logger("odoo.addons.base_geolocalize.models.base_geocoder")
    def test_check_in_after_geolocation_is_measured(self):
        """The complaint of the issue: a customer created in the form gets a position,
        and its check-ins are measured, not "customer not geolocated"."""
        self.customer.with_user(self.user_staff).action_delivery_geolocate()
        visit = self._visit(planned_date=fields.Datetime.now() + timedelta(hours=1))
        gcj = AMAP_POSITIONS["Zhongshan East 1st Road"].split(",")
        # the staff member stands where AMap's map shows the customer, but the phone
        # reports WGS-84: the right place is "ok"
        position = gcj02_to_wgs84(float(gcj[1]), float(gcj[0]))
        visit.action_check_in_at(latitude=position[0], longitude=position[1], accuracy=15)
        self.assertEqual(visit.location_status, "ok")
        self.assertLess(visit.check_in_distance, 0.01)
