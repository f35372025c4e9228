"""Cell functions of the two-window section (CLIENT_STATUS, PRICE_EFFECT, VOLUME_EFFECT, LAPSE_RATIO, NRR,
GRR), called as plain Python functions and through xlwings' Office.js code path, with hand-computed values."""
from __future__ import annotations

import pytest
from test_udfs import F as _F
from test_udfs import Shown, call


@pytest.fixture(scope="module")
def F():
    return _F


JAN1, DEC31 = 45658, 46022            # 2025-01-01, 2025-12-31 as Excel serials


def test_client_status_by_hand(F):
    # new (first purchase 2025-02-12), returned (bought in 2023, nothing in W0), lost, grown, other (a return)
    got = F.CLIENT_STATUS([[0], [0], [120], [100], [0]], [[80], [60], [0], [150], [-20]],
                          [[45700], [45000], [45000], [45000], [45000]], JAN1, DEC31)
    assert got == [["new"], ["returned"], ["lost"], ["grown"], ["other"]]


def test_a_client_whose_only_w0_line_is_a_return_comes_back_as_returned(F):
    assert F.CLIENT_STATUS([[-30]], [[60]], [[45000]], JAN1, DEC31) == [["returned"]]


def test_price_and_volume_effects_by_hand(F):
    r0, c0, r1, c1 = [[100], [200], [90]], [[10], [20], [0]], [[180], [150], [110]], [[12], [10], [3]]
    # (15 - 10) * 22 / 2 = 55, (12 - 10) * 25 / 2 = 25 ; (15 - 10) * 30 / 2 = 75, (10 - 20) * 25 / 2 = -125
    assert F.PRICE_EFFECT(r0, c0, r1, c1) == [[55.0], [75.0], [""]]          # no units in W0: empty
    assert F.VOLUME_EFFECT(r0, c0, r1, c1) == [[25.0], [-125.0], [""]]


def test_lapse_ratio_by_hand(F):
    # gaps 10, 10, 10 ; last purchase 15 days before the end: 1.5
    assert F.LAPSE_RATIO([[46000], [46010], [46020], [46030]], 46045) == [[1.5]]
    # a repeated date counts once; a date after the end is ignored
    assert F.LAPSE_RATIO([[46000], [46000], [46010], [46030], [46050]], 46045) == [[1.0]]   # gaps 10, 20: 15/15
    out = call("LAPSE_RATIO", [[46000], [46010]], 46045)          # nothing to return: #N/A
    assert isinstance(out, Shown) and out.text == "#N/A"


def test_nrr_and_grr_by_hand(F):
    r0, r1 = [[120], [100], [200], [0]], [[0], [180], [150], [40]]
    # W0 buyers: 120 + 100 + 200 = 420 ; kept 0 + 180 + 150 = 330 ; capped 0 + 100 + 150 = 250 (the new 40 is out)
    assert F.NRR(r0, r1) == [[pytest.approx(330 / 420)]]
    assert F.GRR(r0, r1) == [[pytest.approx(250 / 420)]]
    out = call("NRR", [[0]], [[10]])
    assert isinstance(out, Shown) and out.text == "#N/A"


def test_bad_arguments_give_a_reason():
    for out, reason in ((call("NRR", [[1], [2]], [[1]]), "the ranges have different lengths"),
                        (call("CLIENT_STATUS", [[0]], [[5]], [["x"]], JAN1, DEC31), "not a date"),
                        (call("CLIENT_STATUS", [[0]], [[5]], [[45000]], DEC31, JAN1), "before w1_start")):
        assert isinstance(out, Shown) and out.text == "#VALUE!" and reason in out.message, out


def test_through_the_office_js_code_path():
    out = call("CLIENT_STATUS", [[0], [120]], [[80], [0]], [[45700], [45000]], JAN1, DEC31)
    assert out == [["new"], ["lost"]]
    assert call("NRR", [[100], [50]], [[120], [0]]) == [[120 / 150]]
