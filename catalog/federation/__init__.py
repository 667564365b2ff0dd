"""Federation: labs publish what their sharing rules allow, hubs subscribe to labs.

Built on PostgreSQL logical replication only: a publication at each lab whose row
filters read the `shared` flags (symcat.store.sharing), one subscription per lab at the
hub. `rules` states what a lab shares, `lab` prepares a lab to publish, `hub` adds,
removes and reports on labs. docs/federation.md is the guide.
"""

from __future__ import annotations


class FederationError(RuntimeError):
    """A federation step cannot be done; the message says why and what to do."""
