"""Access scope: the set of sites a user may see, and whether claim-level detail is allowed.

Every query function takes one, by keyword, with no default: the caller must say whose view it is.
`Scope.all()` is the unrestricted view (the local demo administrator, the CLI without --user)."""
from __future__ import annotations

from dataclasses import dataclass


class ClaimLevelDenied(PermissionError):
    """The scope allows totals only (viewer role): no claim list, claim detail or claim export."""


@dataclass(frozen=True)
class Scope:
    site_ids: frozenset[str] | None      # None = every site (including claims with no site)
    label: str = "all sites"
    claim_level: bool = True

    @classmethod
    def all(cls) -> "Scope":
        return cls(None)

    @classmethod
    def sites(cls, site_ids, label: str | None = None, claim_level: bool = True) -> "Scope":
        ids = frozenset(site_ids)
        return cls(ids, label or ", ".join(sorted(ids)) or "no sites", claim_level)

    def sql(self, column: str = "site_id") -> tuple[str, list]:
        """A WHERE fragment limiting `column` to the scope, and its bound parameters."""
        if self.site_ids is None:
            return "true", []
        return f"list_contains(?::VARCHAR[], {column})", [sorted(self.site_ids)]

    def require_claim_level(self) -> None:
        if not self.claim_level:
            raise ClaimLevelDenied("Your role shows totals only: claim lists, claim detail and claim-level "
                                   "exports are not available.")

    @property
    def cache_key(self) -> str:
        sites = "*" if self.site_ids is None else "|".join(sorted(self.site_ids))
        return f"{sites}#{'claims' if self.claim_level else 'totals'}"

    @classmethod
    def from_cache_key(cls, key: str) -> "Scope":
        sites, _, level = key.partition("#")
        claim_level = level != "totals"
        if sites == "*":
            return cls(None, claim_level=claim_level)
        return cls.sites([s for s in sites.split("|") if s], claim_level=claim_level)
