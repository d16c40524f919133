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

    @property
    def db_file(self) -> Path:
        """The database file commands use: ``--db``, else ``$ARBKIT_DB``, else the default."""
        from arbkit.store import default_db_path

        return Path(self.db_path).expanduser() if self.db_path else default_db_path()

    def existing_store(
        self, hint: str = "run `arbkit trade --sample` first, or give --db"
    ) -> Store:
        """The store, if its file exists: a command that reads what others wrote (a report, the
        positions, the kill switch) never creates an empty database for a mistyped ``--db``.

        Raises:
            ConfigError: no file at :attr:`db_file`; ``hint`` says what to do instead.
        """
        from arbkit.errors import ConfigError

        if not self.db_file.exists():
            raise ConfigError(f"no database at {self.db_file}: {hint}")
        return self.store

    def venue(self, name: str, **kwargs: object) -> Venue:
        """Instantiate venue ``name`` with its settings from config and env."""
        from arbkit.registry import get_venue

        cls = get_venue(self.plugin_manager, name)
        settings = self.config.venue_settings(
            name, cls.credential_names, sandbox=self.sandbox or None
        )
        return cls(settings, **kwargs)  # type: ignore[arg-type]
