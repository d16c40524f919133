"""What every command shares: the plugin manager, the config and the store, opened lazily."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pluggy
from attrs import define, field

if TYPE_CHECKING:  # imported where used: ``arbkit --version`` needs none of them
    from arbkit.config import Config
    from arbkit.store import Store
    from arbkit.venue import Venue


@define
class AppState:
    pm: pluggy.PluginManager | None = None
    db_path: Path | None = None
    config_file: Path | None = None
    sandbox: bool = False
    quiet: bool = False  #: -q: no progress lines, only errors
    _config: Config | None = field(default=None, alias="_config")
    _store: Store | None = field(default=None, alias="_store")

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        assert self.pm is not None, "AppState.pm is set by make_cli"
        return self.pm

    @property
    def config(self) -> Config:
        if self._config is None:
            from arbkit.config import Config

            self._config = Config.load(self.config_file)
        return self._config

    @property
    def store(self) -> Store:
        if self._store is None:
            from arbkit.registry import get_migrations
            from arbkit.store import open_store

            self._store = open_store(self.db_path, extra=get_migrations(self.plugin_manager))
        return self._store

    def venue(self, name: str, **kwargs: object) -> Venue:
        """Instantiate venue ``name`` with its settings from config and env."""
        from arbkit.registry import get_venue

        cls = get_venue(self.plugin_manager, name)
        settings = self.config.venue_settings(
            name, cls.credential_names, sandbox=self.sandbox or None
        )
        return cls(settings, **kwargs)  # type: ignore[arg-type]
