#!/usr/bin/env python3
"""advice.py - the fake model's answers for the advised run of run.sh.

    advice.py > script.json

Proposals for schemas/shop.json that change the generated code: a deeper
route path, searchable columns (one of them an enum), a default sort, an
extra sortable column and example values, then an empty design review.
"""
import json


def proposal(kind, table, column=None, value=None, descending=None):
    return {"kind": kind, "table": table, "column": column, "columns": None,
            "value": value, "descending": descending, "reason": "fits the data"}


PROPOSALS = {"proposals": [
    proposal("route_path", "products", value="/catalog/products"),
    proposal("searchable", "products", "name"),
    proposal("searchable", "products", "kind"),
    proposal("searchable", "categories", "name"),
    proposal("default_sort", "products", "price", descending=True),
    proposal("sortable", "customer_profiles", "display_name"),
    proposal("example", "products", "name", value="Blue mug"),
    proposal("example", "customer_profiles", "display_name", value="Élodie"),
    proposal("example", "products", "stock", value="12"),
    proposal("example", "orders", "status", value="paid"),
]}

print(json.dumps({"openai": [{"content_json": PROPOSALS}, {"content_json": {"findings": []}}]}))
