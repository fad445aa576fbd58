"""The composition root: a project over a data dir, with one application service per proto
service. It opens the store, names the models (they load when first used), loads the catalog
and the two indexes, and hands each service exactly what it needs; it runs no use case itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Sequence

from ..access import Access
from ..catalog import Catalog
from ..character_index import CharacterIndex
from ..clustering.characters import CharacterConfig
from ..clustering.evidence import ShotEvidence
from ..clustering.local_features import LocalFeatures
from ..clustering.types import ClusterConfig
from ..config import Config
from ..executors import executor_for
from ..ingestor import IngestSettings, Ingestor
from ..jobs import JobManager
from ..models.manager import ModelManager
from ..models.select import ActiveModels
from ..scene_index import SceneIndex
from ..search_index import SearchIndex
from ..slate_index import SlateIndex
from ..snapshots import Derived
from ..store import Store
from .clusters import ClusterService
from .compare import CompareService
from .export import ExportService
from .feedback import FeedbackService
from .ingest import IngestService
from .labels import bin_label
from .library import EXCLUSIVE_WAIT_S, SharedLibrary
from .search import SearchService
from .system import SystemService
from .views import ClusterView, ProjectView

log = logging.getLogger(__name__)


class Project:
    def __init__(self, config: Config) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.location = config.location()
        self.store = Store(self.location.db_uri, self.location.storage_options)
        self.models = ActiveModels(ModelManager(config.models_path), config.scene_model,
                                   config.faces if config.faces.enabled else None, config.faces.pack)
        self.catalog = Catalog(self.store)
        self.catalog.load()
        self.slates = SlateIndex(self.store)
        self.slates.load()
        self.characters = CharacterIndex(self.store, self.models.face_model_id or None, self._character_config)
        self.characters.load()
        overrides = {k: v for k, v in dataclasses.asdict(config.clusters).items() if v is not None}
        self.index = SceneIndex(self.store, self.models.scene_model_id, self.models.scene_dim,
                                ClusterConfig.for_model(self.models.scene_model_id, evidence=True, **overrides),
                                config.data_dir, labeler=lambda shot_ids: bin_label(self.catalog.snapshot(), shot_ids,
                                                                    self.slates.snapshot()),
                                evidence=self._evidence)
        # on a shared library another server may be placing a file's shots right now
        with self.store.leased("index", EXCLUSIVE_WAIT_S) if self.location.remote else contextlib.nullcontext():
            self.index.load()
        self._views: Derived[ClusterView] = Derived()  # bin summaries, reused across reads while unchanged
        self.library = SharedLibrary(self.store, self.location.remote, config.storage.refresh_seconds, self._reload)
        self.search_index = SearchIndex(self.store, self.catalog, self.models.scene_model_id, self.models.scene_dim,
                                        config.search)
        self.search_index.load()
        self.jobs = JobManager()
        ingestor = Ingestor(self.store, self.location.blobs, self.models,
                            IngestSettings(config.detector, config.keyframes, config.faces.extra_samples_per_shot))
        self.access = Access(config.data_dir)
        self.executor = executor_for(config, ingestor)
        self.ingest = IngestService(self.store, self.location.blobs, self.models, ingestor, self.jobs, self.catalog,
                                    self.index, self.characters, self.view, self.access, self.slates,
                                    config.slates, self.search_index, self.library, self.executor)
        self.clusters = ClusterService(self.index, self.view, self.library)
        self.feedback = FeedbackService(self.store, self.index, self.characters, self.catalog, self.slates,
                                        config.data_dir, self.library)
        self.search = SearchService(self.index, self.search_index, self.models, self.view)
        self.compare = CompareService(self.access, self.catalog, config.data_dir / "compare")
        self.export = ExportService(self.index, self.view, config.data_dir.name, config.exports_path)
        self.system = SystemService(self.models, self.index, config.data_dir, config.faces.enabled, self.view)
        log.info("project open", extra={"data_dir": str(config.data_dir), "scene_model": self.models.scene_model_id,
                                        "face_model": self.models.face_model_id or None,
                                        "shots": len(self.index.snapshot().assignments)})

    def _reload(self) -> None:
        """Re-read what other servers of a shared library committed (see ``library``)."""
        self.index.load(repair=False)
        self.catalog.load()
        self.slates.load()
        self.characters.load()
        self.search_index.load()  # the files another server committed become searchable here too

    def view(self) -> ProjectView:
        """One consistent read of the project (the snapshots, taken together)."""
        return ProjectView(self.catalog.snapshot(), self.index.snapshot(), self.characters.snapshot(),
                           self.slates.snapshot(), self._views)

    def _evidence(self, shot_ids: Sequence[str], features: bool) -> dict[str, ShotEvidence]:
        """What separates setups beyond the scene vector: each shot's file and cut order (the
        catalog), who is on screen (the characters), its keyframes' local features (the store)."""
        catalog, cast = self.catalog.snapshot(), self.characters.snapshot().shot_characters
        blobs = self.store.keyframes.local_features(shot_ids) if features else {}
        out = {}
        for sid in shot_ids:
            shot = catalog.shots.get(sid)
            out[sid] = ShotEvidence(shot.media_id if shot else None, shot.index if shot else None,
                                    frozenset(cast.get(sid, ())),
                                    tuple(LocalFeatures.from_bytes(b) for b in blobs.get(sid, ())))
        return out

    def _character_config(self) -> CharacterConfig | None:
        face = self.models.face
        return CharacterConfig(match_threshold=face.match_threshold) if face is not None else None

    def close(self) -> None:
        self.jobs.shutdown()
        self.executor.close()
        self.store.optimize()
