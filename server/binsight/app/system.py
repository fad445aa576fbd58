"""SystemService: what the server is, where its data lives, which models it runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..models.select import ActiveModels
from ..scene_index import SceneIndex
from ..store import SCHEMA_VERSION
from .views import ProjectView


@dataclass(frozen=True)
class ModelView:
    name: str = ""
    kind: str = ""
    model_id: str = ""
    provider: str = ""
    license: str = ""
    active: bool = False
    installed: bool = False
    path: str = ""
    note: str = ""


@dataclass(frozen=True)
class StatusView:
    version: str
    schema_version: int
    data_dir: str
    address: str
    scene_model: ModelView
    face_model: ModelView
    media_count: int
    shot_count: int
    cluster_count: int
    noise_count: int
    face_count: int
    character_count: int
    notes: tuple[str, ...] = field(default_factory=tuple)
    active_adapter: str = ""
    review_url: str = ""
    text_search: bool = False


class SystemService:
    def __init__(self, models: ActiveModels, index: SceneIndex, data_dir: Path, faces_enabled: bool,
                 view: Callable[[], ProjectView]) -> None:
        self.models = models
        self.index = index
        self.data_dir = data_dir
        self.faces_enabled = faces_enabled
        self.view = view
        self.address = ""  # where the server listens; set by whoever serves this project
        self.review_url = ""  # where the review page answers ("" when off); set the same way

    def status(self) -> StatusView:
        view = self.view()
        scene, face = self.models.scene, self.models.face
        notes = list(self.models.notes_now())
        stale = sum(1 for m in view.catalog.media.values() if m.scene_model_id != scene.model_id)
        if stale:
            notes.append(f"{stale} file(s) were embedded with another scene model and are not clustered: "
                         f"run `binsight reembed`")
        if not self.faces_enabled:
            notes.append("faces are off in the configuration (faces.enabled = false)")
        assignments = view.index.assignments
        return StatusView(
            version=__version__, schema_version=SCHEMA_VERSION, data_dir=str(self.data_dir), address=self.address,
            scene_model=ModelView(scene.model_id, "scene", scene.model_id, scene.provider,
                                  getattr(scene, "license", "Apache-2.0 (Binsight, no weights)"), True, True),
            face_model=ModelView(face.model_id, "face", face.model_id, face.provider, face.license, True, True)
            if face else ModelView(kind="face"),
            media_count=len(view.catalog.entries), shot_count=len(assignments),
            cluster_count=len({a.cluster_id for a in assignments.values() if a.cluster_id}),
            noise_count=sum(1 for a in assignments.values() if a.noise), face_count=len(view.catalog.faces),
            character_count=len(view.characters.characters), notes=tuple(notes), active_adapter=self.index.adapter_version,
            review_url=self.review_url, text_search=bool(scene.supports_text))

    def models_list(self) -> list[ModelView]:
        active = {self.models.scene_model_id, self.models.face_model_id}
        return [ModelView(p.manifest.name, p.manifest.kind, p.manifest.model_id, "", p.manifest.license,
                          p.manifest.model_id in active, True, str(p.path or ""))
                for p in self.models.manager.list()]
