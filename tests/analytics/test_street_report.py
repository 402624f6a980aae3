"""The street office's security report: pooled over its compounds from their stored reports, aggregates only (R-P6),
bad input refused with a reason, exports that open."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pypdf
from sqlalchemy import select

from anju.analytics.models import SecurityReport
from tests.analytics.test_security_reports import alarm, cst


def january(session, ids) -> None:
    """Two alarms in compound A and three in B, in January 2025 (one false in each)."""
    alarm(session, ids["A"], "smoke", cst(2025, 1, 6, 10), "resolved", ack_min=5, close_min=20)
    alarm(session, ids["A"], "smoke", cst(2025, 1, 7, 22), "false_alarm", ack_min=15, close_min=40)
    alarm(session, ids["B"], "smoke", cst(2025, 1, 8, 9), "false_alarm", ack_min=1, close_min=10)
    alarm(session, ids["B"], "water_leak", cst(2025, 1, 9, 9), "resolved", ack_min=2, close_min=10)
    alarm(session, ids["B"], "water_leak", cst(2025, 1, 10, 9), "resolved", ack_min=3, close_min=10)


class TestStreetReport:
    def test_r_p6_the_street_office_sees_its_compounds_pooled(self, client, persona, session, ids):
        january(session, ids)
        persona("gov_street").web(client)
        r = client.get("/screen/street-report?kind=month&day=2025-01-15")
        assert r.status_code == 200
        assert f'data-compound="{ids["A"]}"' in r.text and f'data-compound="{ids["B"]}"' in r.text
        # one stored report per compound and period, the same rows the job would make
        stored = session.execute(
            select(SecurityReport).where(
                SecurityReport.period_kind == "month", SecurityReport.period_start == date(2025, 1, 1)
            )
        ).scalars()
        assert {s.compound_id for s in stored} >= {ids["A"], ids["B"]}
        assert "false_alarm_rate" in r.text and "40.0%" in r.text  # (1 + 1) false ÷ 5 closed, in the KPI table

    def test_r_p6_small_staff_counts_are_under_k_and_no_name_appears(self, client, persona, session, ids):
        from datetime import UTC

        from anju.accounts.service import account_service
        from anju.core.rbac import Role

        january(session, ids)
        for n in (1, 2):  # two guards of compound A on roll through January 2025
            u = account_service.create_user(
                session,
                username=f"street_guard_{n}",
                password="x" * 12,
                role=Role.guard,
                display_name=f"巡逻员{n}号",
                compound_ids=[ids["A"]],
            )
            u.created_at = cst(2024, 6, 1, 9).astimezone(UTC)
        session.flush()
        persona("gov_street").web(client)
        r = client.get("/screen/street-report?kind=month&day=2025-01-15")
        row_a = r.text.split(f'data-compound="{ids["A"]}"')[1].split("</tr>")[0]
        assert 'data-staff="on_roll">&lt;5<' in row_a  # 2 people: shown as "<5"
        assert 'data-staff="on_roll_end"><td>' in r.text and "&lt;5" in r.text.split('data-staff="on_roll_end"')[1][:80]
        assert "巡逻员1号" not in r.text and "王经理" not in r.text  # no names, only counts

    def test_xlsx_holds_the_pooled_alarm_count_and_the_pdf_opens(self, client, persona, session, ids):
        january(session, ids)
        persona("gov_street").web(client)
        x = client.get("/screen/street-report.xlsx?kind=month&day=2025-01-15")
        assert x.status_code == 200
        ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
        values = {str(c[0].value): c[1].value for c in ws.iter_rows() if c and c[0].value}
        assert values["告警事件数"] == 5 and values["误报率 (%)"] == 40.0
        p = client.get("/screen/street-report.pdf?kind=month&day=2025-01-15")
        assert p.status_code == 200 and p.content.startswith(b"%PDF-")
        text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(p.content)).pages)
        assert "辖区（2个小区）" in text

    def test_bad_input_is_refused_with_a_reason(self, client, persona, ids):
        persona("gov_street").web(client)
        assert client.get("/screen/street-report?kind=decade").status_code == 422
        assert client.get("/screen/street-report?kind=month&day=2025-13-40").status_code == 422
        assert client.get("/screen/street-report?kind=year&day=2099-01-01").status_code == 409  # not over yet
        assert client.get("/screen/street-report.docx?kind=month&day=2025-01-15").status_code == 404

    def test_a_resident_cannot_open_it(self, client, persona):
        persona("resident_li").web(client)
        assert client.get("/screen/street-report?kind=month&day=2025-01-15").status_code in (302, 303, 403)
