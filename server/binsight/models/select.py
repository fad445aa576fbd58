"""The models a project runs with: named at start from the installed packs (cheap), built when
first used.

Why lazy: the face model takes over a second to load (dlib's CNN/ResNet weights) and a CLIP pack
more, while most commands (`binsight clusters`, `status`, a panel's list call) never detect a
face; an ingest touches the scene model only after shot detection has decoded the file. So the
server starts in well under a second and pays for a model when a job first needs it.
"""

from __future__ import annotations

import logging
import threading

from ..embedders.base import SceneEmbedder
from ..faces.base import FaceConfig, FaceModel
from .manager import FACE_LOAD_ERRORS, InstalledPack, ModelManager, build_face_model

log = logging.getLogger(__name__)


class ActiveModels:
    def __init__(self, manager: ModelManager, scene: str, face_config: FaceConfig | None,
                 face_pack: str = "auto") -> None:
        """``face_config`` None: faces are off."""
        self.manager = manager
        self._lock = threading.Lock()
        self._scene_pref = scene
        self._scene: SceneEmbedder | None = None
        self.face_config = face_config
        self._face_packs: list[InstalledPack] = manager.face_packs(face_pack) if face_config is not None else []
        self._face: FaceModel | None = None
        self._face_tried = False
        self.notes: list[str] = []
        if face_config is not None and not self._face_packs:
            self.notes.append("face: no face model available; face bins are off")

    # -- scene -------------------------------------------------------------------------------------
    @property
    def scene(self) -> SceneEmbedder:
        with self._lock:
            if self._scene is None:
                self._scene = self.manager.best_scene_embedder(prefer=self._scene_pref)
            return self._scene

    @property
    def scene_model_id(self) -> str:
        return self.scene.model_id

    @property
    def scene_dim(self) -> int:
        return self.scene.dim

    # -- faces -------------------------------------------------------------------------------------
    @property
    def faces_enabled(self) -> bool:
        return bool(self._face_packs)

    @property
    def face(self) -> FaceModel | None:
        """The face model, built on first use: the best pack that builds, else None."""
        with self._lock:
            if not self._face_tried:
                self._face_tried = True
                for pack in self._face_packs:
                    try:
                        self._face = build_face_model(pack, self.face_config)
                        break
                    except FACE_LOAD_ERRORS as exc:
                        self.notes.append(f"face: skipped {pack.manifest.name}: {exc}")
                        log.warning("face pack unusable", extra={"pack": pack.manifest.name, "error": str(exc)})
                if self._face is None and self._face_packs:
                    self.notes.append("face: no face pack could be loaded; face bins are off")
            return self._face

    @property
    def face_model_id(self) -> str:
        """The face space this project stores ("" when faces are off), known without loading."""
        if self._face is not None:
            return self._face.model_id
        return self._face_packs[0].manifest.model_id if self._face_packs else ""

    def notes_now(self) -> list[str]:
        """Why a fallback is in use, for status reports (builds the models to know)."""
        _ = (self.scene, self.face)
        return [*self.manager.describe(None)["notes"], *self.notes]

    def preload(self) -> None:
        """Build every model now, on a background thread (an ingest job starts it while the
        first file is being probed and cut)."""
        threading.Thread(target=lambda: (self.scene, self.face), name="binsight-models", daemon=True).start()
