"""Plane groups at the hub (migration 0016): a lab's symmetry predictions follow their
scans' sharing, so the hub's `symmetry` filter and columns answer for labs' scans; private
ones stay home, a rule change adds and removes them, and the hub's own prediction of a
scan wins over a lab's without an apply conflict (PostgreSQL 18 would stop replication)."""

from __future__ import annotations

from federation_harness import Federation, Member, wait_for
from sqlalchemy import text

from symcat.federation import hub as hub_mod
from symcat.federation import rules

MODEL = "symcat_symmetry.v31@0123456789ab-pp1"  # a stored name: weights and recipe
CONFLICTS = ("SELECT coalesce(sum(confl_insert_exists + confl_update_exists + "
             "confl_update_missing + confl_delete_missing + confl_multiple_unique_conflicts), 0) "
             "FROM pg_stat_subscription_stats")
ERRORS = ("SELECT coalesce(sum(apply_error_count + sync_error_count), 0) "
          "FROM pg_stat_subscription_stats")


def _predict(member: Member, where: str, group: str, p: float) -> list[str]:
    """A prediction under MODEL for each image scan matching `where` (SQL on scans) that
    has none, written as `predict_catalog` writes them; returns their scan ids."""
    with member.engine.begin() as conn:
        model_id = conn.execute(text(
            "INSERT INTO embedding_models (name, family, dim, config) VALUES "
            "(:n, 'symcat_symmetry', 512, '{}') ON CONFLICT (name) DO UPDATE SET dim = 512 "
            "RETURNING id"), {"n": MODEL}).scalar_one()
        ids = conn.execute(text(
            f"SELECT id FROM scans WHERE record_kind = 'image' AND ({where}) AND id NOT IN "
            "(SELECT scan_id FROM symmetry_predictions WHERE model_id = :m) ORDER BY id"),
            {"m": model_id}).scalars().all()
        for scan_id in ids:
            conn.execute(text(
                "INSERT INTO symmetry_predictions (scan_id, model_id, symmetry, probability, "
                "top_group, p_none, reason) VALUES (:s, :m, :g, :p, :g, 0, NULL)"),
                {"s": scan_id, "m": model_id, "g": group, "p": p})
    return [str(i) for i in ids]


def _at_hub(fed: Federation, site: str) -> dict[str, str]:
    with fed.hub.engine.connect() as conn:
        return {str(s): g for s, g in conn.execute(text(
            "SELECT p.scan_id, p.symmetry FROM symmetry_predictions p JOIN scans s "
            "ON s.id = p.scan_id WHERE s.site = :s"), {"s": site})}


def test_plane_groups_follow_their_scans_to_the_hub(hub_with_labs: Federation) -> None:
    fed = hub_with_labs
    north, hub = fed.lab_a, fed.hub
    conflicts, errors = hub.scalar(CONFLICTS), hub.scalar(ERRORS)
    public = _predict(north, "source_path LIKE '%/public/%'", "p4m", 0.97)
    private = _predict(north, "source_path LIKE '%/private/%'", "pmm", 0.9)
    assert len(public) == 5 and len(private) == 3  # 4 public files, 1 in both labs
    wait_for(lambda: set(_at_hub(fed, "north")) == set(public), "north's plane groups")
    arrived = hub.catalog.scans("symmetry = p4m and symmetry_p >= 0.9 and site = north")
    assert {str(i) for i in arrived["id"]} == set(public)
    shown = hub.catalog.scans(site="north").set_index("id")
    assert {str(i) for i, g in shown["symmetry"].items() if g == "p4m"} == set(public)
    assert not set(private) & set(_at_hub(fed, "north"))  # private rows stay home
    report = {s.name: s for s in hub_mod.status(hub.engine)}["north"]
    assert report.rows["plane_groups"] == len(public)  # `symcat federation status` counts them

    # The hub's own answer for a scan wins over what the lab sends later for it.
    own = _predict(fed.lab_b, "source_path LIKE '%/public/%'", "p2", 0.8)
    wait_for(lambda: set(_at_hub(fed, "south")) == set(own), "south's plane groups")
    chosen = own[0]
    hub.execute("DELETE FROM symmetry_predictions WHERE scan_id = :s", s=chosen)
    hub.execute("INSERT INTO symmetry_predictions (scan_id, model_id, symmetry, probability, "
                "top_group, p_none) SELECT :s, id, 'p6', 0.99, 'p6', 0 FROM embedding_models "
                "WHERE name = :n", s=chosen, n=MODEL)
    fed.lab_b.execute("UPDATE symmetry_predictions SET probability = 0.81 WHERE scan_id = :s",
                      s=chosen)
    fed.lab_b.execute("DELETE FROM symmetry_predictions WHERE scan_id = :s", s=chosen)
    _predict(fed.lab_b, f"id = '{chosen}'", "pg", 0.7)
    marker = _predict(fed.lab_b, "source_path LIKE '%/private/%'", "cm", 0.6)  # stays home
    rules.set_rule(fed.lab_b.engine, "marker", f"id = '{marker[0]}'")  # one more shared
    wait_for(lambda: marker[0] in _at_hub(fed, "south"), "the newly shared plane group")
    assert _at_hub(fed, "south")[chosen] == "p6"  # the hub's own row stood through it all
    assert hub.scalar("SELECT received FROM symmetry_predictions WHERE scan_id = :s",
                      s=chosen) is False
    assert hub.scalar("SELECT bool_and(received) FROM symmetry_predictions p JOIN scans s "
                      "ON s.id = p.scan_id WHERE p.scan_id <> :s", s=chosen) is True

    # A rule that stops sharing takes the plane groups away with their scans.
    rules.remove_rule(fed.lab_b.engine, "marker")
    wait_for(lambda: marker[0] not in _at_hub(fed, "south"), "the unshared plane group gone")
    assert hub.scalar(CONFLICTS) == conflicts and hub.scalar(ERRORS) == errors
    for lab in (north, fed.lab_b):  # leave the shared federation as it was
        lab.execute("DELETE FROM symmetry_predictions")
    wait_for(lambda: not (_at_hub(fed, "north") or set(_at_hub(fed, "south")) - {chosen}),
             "the labs' plane groups gone")
    hub.execute("DELETE FROM symmetry_predictions")
