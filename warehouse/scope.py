"""Access scope: the set of sites a user may see. Every query function takes one, by keyword,
with no default: the caller must say whose view it is. `Scope.all()` is the unrestricted view
(demo administrator, the CLI without --user)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    site_ids: frozenset[str] | None      # None = every site (including claims with no site)
    label: str = "all sites"

    @classmethod
    def all(cls) -> "Scope":
        return cls(None)

    @classmethod
    def sites(cls, site_ids, label: str | None = None) -> "Scope":
        ids = frozenset(site_ids)
        return cls(ids, label or ", ".join(sorted(ids)) or "no sites")

    def sql(self, column: str = "site_id") -> tuple[str, list]:
        """A WHERE fragment limiting `column` to the scope, and its bound parameters."""
        if self.site_ids is None:
            return "true", []
        return f"list_contains(?::VARCHAR[], {column})", [sorted(self.site_ids)]

    @property
    def cache_key(self) -> str:
        return "*" if self.site_ids is None else "|".join(sorted(self.site_ids))
