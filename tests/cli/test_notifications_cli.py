"""`moisson notifications`: subscribe, list, see deliveries, send, remove."""

from __future__ import annotations

import json

from tests.cli.conftest import Invoke, created_source


def test_subscribe_list_send_and_remove(cli: Invoke) -> None:
    slug = created_source(cli, "https://data.example.test/catalog.ttl", "Bus")["slug"]
    added = cli(
        "notifications", "add", slug, "--email", "ops@example.org",
        "--event", "job.failed", "--event", "items.failed", "--threshold", "items_failed=10",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    subscription = json.loads(added.stdout)
    assert subscription["thresholds"] == {"items_failed": 10}

    listed = json.loads(cli("notifications", "list", slug).stdout)
    assert [s["id"] for s in listed] == [subscription["id"]]
    refused = cli("notifications", "add", slug, "--email", "ops@example.org", "--event", "nope")
    assert refused.exit_code == 2
    assert "Unknown event 'nope'" in refused.stderr

    validated = cli("harvest", "validate", slug, "--refuse", "--comment", "Closed data")
    assert validated.exit_code == 0, validated.output
    assert json.loads(cli("notifications", "deliveries", slug).stdout) == []  # not subscribed

    sent = cli("notifications", "send")
    assert sent.exit_code == 0
    assert "0 attempt(s) made." in sent.stdout
    removed = cli("notifications", "remove", slug, subscription["id"])
    assert removed.exit_code == 0
    assert json.loads(cli("notifications", "list", slug).stdout) == []
