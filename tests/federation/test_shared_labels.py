"""Labels and predictions at the hub: they follow their scans' sharing, a label set named
alike at two labs merges, and the hub's own propagation coexists with what labs send,
all without a single apply conflict (PostgreSQL 18 would stop replication on one)."""

from __future__ import annotations

from federation_harness import MODEL, Federation, Member, wait_for
from sqlalchemy import text

from symcat.federation import rules

SET = "domain_type"
CONFLICTS = ("SELECT coalesce(sum(confl_insert_exists + confl_update_exists + "
             "confl_update_missing + confl_delete_missing + confl_multiple_unique_conflicts), 0) "
             "FROM pg_stat_subscription_stats")
ERRORS = ("SELECT coalesce(sum(apply_error_count + sync_error_count), 0) "
          "FROM pg_stat_subscription_stats")


def _ids(member: Member, sql: str) -> set[str]:
    with member.engine.connect() as conn:
        return {str(i) for i in conn.execute(text(sql)).scalars()}


def _scans(lab: Member, folder: str) -> list[str]:
    """The folder's scans with a vector (test_hub adds some without one)."""
    return sorted(_ids(lab, f"SELECT id FROM scans WHERE source_path LIKE '%/{folder}/%' "
                            "AND id IN (SELECT scan_id FROM embeddings)"))


def _hub_rows(fed: Federation, table: str, site: str) -> int:
    return int(fed.hub.scalar(f"SELECT count(*) FROM {table} t JOIN scans s ON s.id = t.scan_id "
                              "WHERE s.site = :s AND t.label_set = :l", s=site, l=SET))


def _label_lab(lab: Member, classes: list[str]) -> None:
    """Two private scans labelled and a propagation over them alone (a run that must stay
    home), then two public scans labelled and a propagation over the whole lab."""
    labels = lab.catalog.labels
    labels.create_set(SET, classes)
    private, public = _scans(lab, "private"), _scans(lab, "public")
    labels.label(SET, "stripe", private[:1])
    labels.label(SET, "bubble", private[1:2])
    labels.propagate(SET, model=MODEL, where="source_path ~ private")
    labels.label(SET, "stripe", public[:1])
    labels.label(SET, "bubble", public[1:2])
    labels.propagate(SET, model=MODEL)


def _wait_for_lab_rows(fed: Federation, lab: Member) -> None:
    for table in ("scan_labels", "predictions"):
        expected = lab.scalar(f"SELECT count(*) FROM {table} WHERE shared AND label_set = :l",
                              l=SET)
        wait_for(lambda t=table, n=expected: _hub_rows(fed, t, lab.name) == n,
                 f"{lab.name}'s shared {table} at the hub")


def test_labels_follow_their_scans_and_label_sets_merge(hub_with_labs: Federation) -> None:
    fed = hub_with_labs
    hub = fed.hub
    conflicts, errors = hub.scalar(CONFLICTS), hub.scalar(ERRORS)
    # The same label set name at both labs, with different vocabularies.
    _label_lab(fed.lab_a, ["stripe", "bubble"])
    _label_lab(fed.lab_b, ["stripe", "bubble", "written_box"])
    for lab in (fed.lab_a, fed.lab_b):
        _wait_for_lab_rows(fed, lab)
        assert _hub_rows(fed, "scan_labels", lab.name) == 2  # the public ones
        assert _hub_rows(fed, "predictions", lab.name) > 0
        private = list(_ids(lab, "SELECT id FROM scans WHERE NOT shared"))
        for table in ("scan_labels", "predictions"):
            assert hub.scalar(f"SELECT count(*) FROM {table} WHERE scan_id::text = ANY(:p)",
                              p=private) == 0, f"{table}: private rows of {lab.name} arrived"
        # The run over private scans stays home; the run over the lab arrives.
        home = _ids(lab, "SELECT id FROM propagation_runs WHERE NOT shared")
        away = _ids(lab, "SELECT id FROM propagation_runs WHERE shared")
        assert len(home) == 1 and len(away) == 1
        wait_for(lambda a=away: a <= _ids(hub, "SELECT id FROM propagation_runs"),
                 "the shared run at the hub")
        assert not home & _ids(hub, "SELECT id FROM propagation_runs")
    assert hub.scalar("SELECT classes FROM label_sets WHERE name = :l", l=SET) == [
        "stripe", "bubble", "written_box"]
    assert hub.scalar("SELECT count(*) FROM scan_labels WHERE NOT received") == 0
    # A class added at a lab later joins the hub's vocabulary.
    fed.lab_a.catalog.labels.create_set(SET, ["tip_artefact"])
    wait_for(lambda: "tip_artefact" in hub.scalar("SELECT classes FROM label_sets WHERE name "
                                                  "= :l", l=SET), "the new class at the hub")
    assert hub.scalar(CONFLICTS) == conflicts and hub.scalar(ERRORS) == errors


def test_changing_a_rule_adds_and_removes_labels(hub_with_labs: Federation) -> None:
    fed = hub_with_labs
    south, hub = fed.lab_b, fed.hub
    conflicts, errors = hub.scalar(CONFLICTS), hub.scalar(ERRORS)
    labels_before = _hub_rows(fed, "scan_labels", "south")
    predictions_before = _hub_rows(fed, "predictions", "south")
    private_labels = south.scalar("SELECT count(*) FROM scan_labels l JOIN scans s ON "
                                  "s.id = l.scan_id WHERE s.source_path LIKE '%/private/%'")
    assert private_labels == 2
    change = rules.set_rule(south.engine, "labels-too", "source_path ~ private")
    assert change.changed["scan_labels"] == 2 and change.changed["predictions"] >= 1
    wait_for(lambda: _hub_rows(fed, "scan_labels", "south") == labels_before + 2,
             "the newly shared labels at the hub")
    wait_for(lambda: _hub_rows(fed, "predictions", "south")
             == predictions_before + change.changed["predictions"],
             "the newly shared predictions at the hub")
    rules.remove_rule(south.engine, "labels-too")
    wait_for(lambda: (_hub_rows(fed, "scan_labels", "south"),
                      _hub_rows(fed, "predictions", "south"))
             == (labels_before, predictions_before), "the labels to leave the hub again")
    assert hub.scalar(CONFLICTS) == conflicts and hub.scalar(ERRORS) == errors


def _latest_run(lab: Member) -> str:
    return str(lab.scalar("SELECT id FROM propagation_runs ORDER BY created_at DESC LIMIT 1"))


def test_the_hub_propagates_over_both_labs_labels(hub_with_labs: Federation) -> None:
    fed = hub_with_labs
    north, south, hub = fed.lab_a, fed.lab_b, fed.hub
    conflicts, errors = hub.scalar(CONFLICTS), hub.scalar(ERRORS)
    labels = hub.catalog.labels
    # Over north's scans: the hub's own predictions there, south's received ones beside.
    hub_north = labels.propagate(SET, model=MODEL, where="site = north")
    assert hub_north.n_labels == 2
    mine = "SELECT count(*) FROM predictions p JOIN scans s ON s.id = p.scan_id " \
           "WHERE s.site = :s AND p.received = :r"
    assert hub.scalar(mine, s="north", r=False) == hub_north.n_predicted
    assert hub.scalar(mine, s="north", r=True) == 0
    assert hub.scalar(mine, s="south", r=True) > 0
    # Labs send again: north's re-sent predictions leave the hub's own alone; south's
    # replace what south sent before.
    north.catalog.labels.propagate(SET, model=MODEL)
    south.catalog.labels.propagate(SET, model=MODEL)
    for lab in (north, south):
        run = _latest_run(lab)
        wait_for(lambda r=run: r in _ids(hub, "SELECT id FROM propagation_runs"),
                 f"{lab.name}'s new run at the hub")
    south_run, south_shared = _latest_run(south), south.scalar(
        "SELECT count(*) FROM predictions WHERE shared")
    wait_for(lambda: hub.scalar("SELECT count(*) FROM predictions WHERE run_id = :r",
                                r=south_run) == south_shared, "south's new predictions")
    assert hub.scalar("SELECT count(*) FROM predictions WHERE run_id = :r",
                      r=hub_north.run_id) == hub_north.n_predicted
    assert hub.scalar("SELECT count(*) FROM predictions WHERE run_id = :r",
                      r=_latest_run(north)) == 0
    by_site = labels.frame(SET, where="site = south")
    assert by_site["predicted"].notna().sum() == south_shared
    # Over both labs: every label either lab shared is used, the hub's predictions win.
    both = labels.propagate(SET, model=MODEL)
    assert both.n_labels == hub.scalar("SELECT count(*) FROM scan_labels WHERE label_set = :l",
                                       l=SET) == 4
    assert hub.scalar("SELECT count(DISTINCT s.site) FROM predictions p JOIN scans s ON "
                      "s.id = p.scan_id WHERE p.run_id = :r", r=both.run_id) == 2
    assert hub.scalar("SELECT count(*) FROM predictions WHERE received") == 0
    # Replication still runs: a label written at north afterwards arrives.
    scan = _scans(north, "public")[2]
    north.catalog.labels.label(SET, "bubble", [scan])
    wait_for(lambda: hub.scalar("SELECT value FROM scan_labels WHERE scan_id = :s AND "
                                "label_set = :l", s=scan, l=SET) == "bubble",
             "a label written at north after the hub's propagation")
    label = "SELECT value FROM scan_labels WHERE scan_id = :s AND label_set = :l"
    north.catalog.labels.label(SET, "stripe", [scan])  # changed at the lab: follows
    wait_for(lambda: hub.scalar(label, s=scan, l=SET) == "stripe", "the changed label")
    north.catalog.labels.unlabel(SET, [scan])  # removed at the lab: leaves the hub
    wait_for(lambda: hub.scalar(label, s=scan, l=SET) is None, "the removed label to go")
    assert hub.scalar(CONFLICTS) == conflicts and hub.scalar(ERRORS) == errors
    wait_for(lambda: hub.scalar("SELECT count(*) FROM pg_stat_subscription WHERE pid IS NOT "
                                "NULL AND relid IS NULL") == 2, "both labs' apply workers")
