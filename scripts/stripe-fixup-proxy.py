#!/usr/bin/env python3
"""A thin proxy in front of localstripe (PyPI), for tests only.

localstripe speaks an older Stripe API than the one async-stripe is generated from, and
async-stripe parses answers strictly: a PaymentIntent without `amount_received`, a
Subscription without `billing_mode`, an expanded `latest_charge` where an id is expected all
fail to parse. This proxy forwards every request unchanged and fills in, on the way back, the
fields today's API always has, from what localstripe did answer (never inventing an outcome:
a status, an amount, an id always comes from localstripe). `../shared/STACK.md` describes the
gap; docs/adr/0014-payments.md says why it is a proxy and not a fork.

Usage: stripe-fixup-proxy.py LISTEN_PORT UPSTREAM_URL
"""

import json
import sys

from aiohttp import ClientSession, web

HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection"}


def fix_plan(plan):
    plan.setdefault("active", True)
    plan.setdefault("billing_scheme", "per_unit")
    plan.setdefault("interval_count", 1)
    plan.setdefault("usage_type", "licensed")
    plan.setdefault("livemode", False)
    plan.setdefault("metadata", {})
    return plan


def price_of(plan):
    """The Price a Plan is, in today's API (the same id, amount and product)."""
    return {
        "id": plan.get("id"),
        "object": "price",
        "active": plan.get("active", True),
        "billing_scheme": plan.get("billing_scheme", "per_unit"),
        "created": plan.get("created", 0),
        "currency": plan.get("currency"),
        "livemode": False,
        "metadata": plan.get("metadata") or {},
        "product": plan.get("product"),
        "type": "recurring",
        "unit_amount": plan.get("amount"),
        "recurring": {
            "interval": plan.get("interval"),
            "interval_count": plan.get("interval_count", 1),
            "usage_type": plan.get("usage_type", "licensed"),
        },
    }


def fix(value):
    if isinstance(value, list):
        return [fix(v) for v in value]
    if not isinstance(value, dict):
        return value
    value = {k: fix(v) for k, v in value.items()}
    kind = value.get("object")
    if kind == "payment_intent":
        value.setdefault("amount_capturable", 0)
        value.setdefault(
            "amount_received",
            value.get("amount", 0) if value.get("status") == "succeeded" else 0,
        )
        value.setdefault("confirmation_method", "automatic")
        value.setdefault("payment_method_types", ["card"])
        value.setdefault("capture_method", "automatic")
        error = value.get("last_payment_error")
        if isinstance(error, dict):
            # A declined attempt's error; today's API always says its type.
            error.setdefault("type", "card_error")
        charge = value.get("latest_charge")
        if isinstance(charge, dict):
            value["latest_charge"] = charge.get("id")
        value.pop("charges", None)
    elif kind == "setup_intent":
        value.setdefault("payment_method_types", ["card"])
        value.setdefault("usage", "off_session")
    elif kind == "plan":
        fix_plan(value)
    elif kind == "subscription":
        start = value.get("current_period_start") or value.get("start_date") or value.get("created")
        end = value.get("current_period_end") or start
        if value.get("billing_cycle_anchor") is None:
            value["billing_cycle_anchor"] = start
        value.setdefault("billing_mode", {"type": "classic"})
        value.setdefault("billing_schedules", [])
        value.setdefault("automatic_tax", {"enabled": False})
        value.setdefault("collection_method", "charge_automatically")
        value.setdefault("discounts", [])
        value.setdefault("invoice_settings", {"issuer": {"type": "self"}})
        value.setdefault("start_date", start)
        value.setdefault("metadata", {})
        items = value.get("items") or {"object": "list", "data": [], "has_more": False}
        items.setdefault("url", "/v1/subscription_items")
        currency = None
        for item in items.get("data", []):
            item.setdefault("current_period_start", start)
            item.setdefault("current_period_end", end)
            item.setdefault("discounts", [])
            item.setdefault("metadata", {})
            item.setdefault("subscription", value.get("id"))
            item.setdefault("created", value.get("created", 0))
            plan = item.get("plan")
            if isinstance(plan, dict):
                fix_plan(plan)
                item.setdefault("price", price_of(plan))
                currency = currency or plan.get("currency")
        value["items"] = items
        value.setdefault("currency", currency or "usd")
    return value


async def forward(request, upstream, session):
    body = await request.read()
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
    async with session.request(
        request.method,
        upstream + request.path_qs,
        data=body,
        headers=headers,
        allow_redirects=False,
    ) as answer:
        data = await answer.read()
        content_type = answer.headers.get("Content-Type", "")
        if "json" in content_type and request.path.startswith("/v1/"):
            try:
                data = json.dumps(fix(json.loads(data))).encode()
            except ValueError:
                pass
        out = {
            k: v
            for k, v in answer.headers.items()
            if k.lower() not in HOP_HEADERS and k.lower() != "content-encoding"
        }
        return web.Response(status=answer.status, body=data, headers=out)


def main():
    port, upstream = int(sys.argv[1]), sys.argv[2].rstrip("/")

    async def start(app):
        app["session"] = ClientSession(auto_decompress=True)

    async def stop(app):
        await app["session"].close()

    async def handle(request):
        return await forward(request, upstream, request.app["session"])

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.router.add_route("*", "/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main()
