"""Client attributes: the Clients table first, blanks filled from the client's latest transaction line."""

import pandas as pd

import xlb2b


def _lines():
    rows = []
    # client K1: manager changes from Petrov to Sidorov; its latest line says Sidorov, region North
    for day, manager in (("2025-03-01", "Petrov"), ("2025-06-01", "Sidorov")):
        rows.append({"client_id": "K1", "date": day, "order_id": f"K1-{day}", "amount": 1000.0,
                     "manager": manager, "region": "North"})
    for cid, manager in (("K2", "Ivanova"), ("K3", "Orlov")):
        for day in ("2025-02-01", "2025-05-01"):
            rows.append({"client_id": cid, "date": day, "order_id": f"{cid}-{day}", "amount": 500.0,
                         "manager": manager, "region": "South"})
    return pd.DataFrame(rows)


def test_blank_manager_in_the_clients_table_is_filled_from_the_latest_line_and_others_are_kept():
    clients = pd.DataFrame({
        "client_id": ["K1", "K2", "K3"],
        "name": ["One", "Two", "Three"],
        "manager": [None, "Kuznetsova", None],   # K2's manager is the table's, not the lines'
    })
    a = xlb2b.analyze(_lines(), clients)
    got = a.clients.set_index("client_id")["manager"].to_dict()
    assert got == {"K1": "Sidorov", "K2": "Kuznetsova", "K3": "Orlov"}
    assert a.clients.set_index("client_id")["region"].to_dict() == {"K1": "North", "K2": "South", "K3": "South"}
