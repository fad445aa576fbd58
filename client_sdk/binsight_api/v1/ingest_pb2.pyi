from . import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    JOB_STATE_QUEUED: _ClassVar[JobState]
    JOB_STATE_RUNNING: _ClassVar[JobState]
    JOB_STATE_SUCCEEDED: _ClassVar[JobState]
    JOB_STATE_FAILED: _ClassVar[JobState]
    JOB_STATE_CANCELLED: _ClassVar[JobState]
JOB_STATE_UNSPECIFIED: JobState
JOB_STATE_QUEUED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_SUCCEEDED: JobState
JOB_STATE_FAILED: JobState
JOB_STATE_CANCELLED: JobState

class ListSlatesRequest(_message.Message):
    __slots__ = ("unsure_only",)
    UNSURE_ONLY_FIELD_NUMBER: _ClassVar[int]
    unsure_only: bool
    def __init__(self, unsure_only: _Optional[bool] = ...) -> None: ...

class SlateField(_message.Message):
    __slots__ = ("name", "value", "confidence")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    confidence: float
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ..., confidence: _Optional[float] = ...) -> None: ...

class Slate(_message.Message):
    __slots__ = ("media_id", "media_path", "label", "setup", "fields", "text", "confidence", "unsure", "source", "frame", "time_s", "position", "inverted")
    MEDIA_ID_FIELD_NUMBER: _ClassVar[int]
    MEDIA_PATH_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SETUP_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    UNSURE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    TIME_S_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    INVERTED_FIELD_NUMBER: _ClassVar[int]
    media_id: str
    media_path: str
    label: str
    setup: str
    fields: _containers.RepeatedCompositeFieldContainer[SlateField]
    text: _containers.RepeatedScalarFieldContainer[str]
    confidence: float
    unsure: bool
    source: str
    frame: int
    time_s: float
    position: str
    inverted: bool
    def __init__(self, media_id: _Optional[str] = ..., media_path: _Optional[str] = ..., label: _Optional[str] = ..., setup: _Optional[str] = ..., fields: _Optional[_Iterable[_Union[SlateField, _Mapping]]] = ..., text: _Optional[_Iterable[str]] = ..., confidence: _Optional[float] = ..., unsure: _Optional[bool] = ..., source: _Optional[str] = ..., frame: _Optional[int] = ..., time_s: _Optional[float] = ..., position: _Optional[str] = ..., inverted: _Optional[bool] = ...) -> None: ...

class SlateTake(_message.Message):
    __slots__ = ("take", "media_id", "media_path", "label")
    TAKE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_ID_FIELD_NUMBER: _ClassVar[int]
    MEDIA_PATH_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    take: str
    media_id: str
    media_path: str
    label: str
    def __init__(self, take: _Optional[str] = ..., media_id: _Optional[str] = ..., media_path: _Optional[str] = ..., label: _Optional[str] = ...) -> None: ...

class SlateSetup(_message.Message):
    __slots__ = ("setup", "takes")
    SETUP_FIELD_NUMBER: _ClassVar[int]
    TAKES_FIELD_NUMBER: _ClassVar[int]
    setup: str
    takes: _containers.RepeatedCompositeFieldContainer[SlateTake]
    def __init__(self, setup: _Optional[str] = ..., takes: _Optional[_Iterable[_Union[SlateTake, _Mapping]]] = ...) -> None: ...

class SlateScene(_message.Message):
    __slots__ = ("scene", "setups")
    SCENE_FIELD_NUMBER: _ClassVar[int]
    SETUPS_FIELD_NUMBER: _ClassVar[int]
    scene: str
    setups: _containers.RepeatedCompositeFieldContainer[SlateSetup]
    def __init__(self, scene: _Optional[str] = ..., setups: _Optional[_Iterable[_Union[SlateSetup, _Mapping]]] = ...) -> None: ...

class ListSlatesResponse(_message.Message):
    __slots__ = ("slates", "scenes")
    SLATES_FIELD_NUMBER: _ClassVar[int]
    SCENES_FIELD_NUMBER: _ClassVar[int]
    slates: _containers.RepeatedCompositeFieldContainer[Slate]
    scenes: _containers.RepeatedCompositeFieldContainer[SlateScene]
    def __init__(self, slates: _Optional[_Iterable[_Union[Slate, _Mapping]]] = ..., scenes: _Optional[_Iterable[_Union[SlateScene, _Mapping]]] = ...) -> None: ...

class StartIngestRequest(_message.Message):
    __slots__ = ("paths", "recursive", "force")
    PATHS_FIELD_NUMBER: _ClassVar[int]
    RECURSIVE_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    paths: _containers.RepeatedScalarFieldContainer[str]
    recursive: bool
    force: bool
    def __init__(self, paths: _Optional[_Iterable[str]] = ..., recursive: _Optional[bool] = ..., force: _Optional[bool] = ...) -> None: ...

class JobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class FileResult(_message.Message):
    __slots__ = ("path", "media_id", "status", "message", "shots", "faces", "warnings", "stage_seconds")
    class StageSecondsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    PATH_FIELD_NUMBER: _ClassVar[int]
    MEDIA_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SHOTS_FIELD_NUMBER: _ClassVar[int]
    FACES_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    STAGE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    path: str
    media_id: str
    status: str
    message: str
    shots: int
    faces: int
    warnings: _containers.RepeatedScalarFieldContainer[str]
    stage_seconds: _containers.ScalarMap[str, float]
    def __init__(self, path: _Optional[str] = ..., media_id: _Optional[str] = ..., status: _Optional[str] = ..., message: _Optional[str] = ..., shots: _Optional[int] = ..., faces: _Optional[int] = ..., warnings: _Optional[_Iterable[str]] = ..., stage_seconds: _Optional[_Mapping[str, float]] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("job_id", "kind", "state", "paths", "created_at", "finished_at", "files_total", "files_done", "shots_found", "error", "files", "scene_model_id", "face_model_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    FILES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    FILES_DONE_FIELD_NUMBER: _ClassVar[int]
    SHOTS_FOUND_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    SCENE_MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    FACE_MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    kind: str
    state: JobState
    paths: _containers.RepeatedScalarFieldContainer[str]
    created_at: str
    finished_at: str
    files_total: int
    files_done: int
    shots_found: int
    error: str
    files: _containers.RepeatedCompositeFieldContainer[FileResult]
    scene_model_id: str
    face_model_id: str
    def __init__(self, job_id: _Optional[str] = ..., kind: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ..., paths: _Optional[_Iterable[str]] = ..., created_at: _Optional[str] = ..., finished_at: _Optional[str] = ..., files_total: _Optional[int] = ..., files_done: _Optional[int] = ..., shots_found: _Optional[int] = ..., error: _Optional[str] = ..., files: _Optional[_Iterable[_Union[FileResult, _Mapping]]] = ..., scene_model_id: _Optional[str] = ..., face_model_id: _Optional[str] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("job_id", "state", "file", "stage", "frames_done", "frames_total", "shots_found", "files_done", "files_total", "message")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    FRAMES_DONE_FIELD_NUMBER: _ClassVar[int]
    FRAMES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    SHOTS_FOUND_FIELD_NUMBER: _ClassVar[int]
    FILES_DONE_FIELD_NUMBER: _ClassVar[int]
    FILES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    state: JobState
    file: str
    stage: str
    frames_done: int
    frames_total: int
    shots_found: int
    files_done: int
    files_total: int
    message: str
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ..., file: _Optional[str] = ..., stage: _Optional[str] = ..., frames_done: _Optional[int] = ..., frames_total: _Optional[int] = ..., shots_found: _Optional[int] = ..., files_done: _Optional[int] = ..., files_total: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs",)
    JOBS_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ...) -> None: ...

class ListMediaResponse(_message.Message):
    __slots__ = ("media",)
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    media: _containers.RepeatedCompositeFieldContainer[_common_pb2.MediaFile]
    def __init__(self, media: _Optional[_Iterable[_Union[_common_pb2.MediaFile, _Mapping]]] = ...) -> None: ...

class MediaRequest(_message.Message):
    __slots__ = ("media_id",)
    MEDIA_ID_FIELD_NUMBER: _ClassVar[int]
    media_id: str
    def __init__(self, media_id: _Optional[str] = ...) -> None: ...

class ListShotsRequest(_message.Message):
    __slots__ = ("media_id", "cluster_id")
    MEDIA_ID_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    media_id: str
    cluster_id: str
    def __init__(self, media_id: _Optional[str] = ..., cluster_id: _Optional[str] = ...) -> None: ...

class ListShotsResponse(_message.Message):
    __slots__ = ("shots",)
    SHOTS_FIELD_NUMBER: _ClassVar[int]
    shots: _containers.RepeatedCompositeFieldContainer[_common_pb2.Shot]
    def __init__(self, shots: _Optional[_Iterable[_Union[_common_pb2.Shot, _Mapping]]] = ...) -> None: ...

class KeyframeImageRequest(_message.Message):
    __slots__ = ("keyframe_id", "thumbnail")
    KEYFRAME_ID_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
    keyframe_id: str
    thumbnail: bool
    def __init__(self, keyframe_id: _Optional[str] = ..., thumbnail: _Optional[bool] = ...) -> None: ...

class FaceImageRequest(_message.Message):
    __slots__ = ("face_id",)
    FACE_ID_FIELD_NUMBER: _ClassVar[int]
    face_id: str
    def __init__(self, face_id: _Optional[str] = ...) -> None: ...

class Image(_message.Message):
    __slots__ = ("data", "mime_type", "width", "height")
    DATA_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    mime_type: str
    width: int
    height: int
    def __init__(self, data: _Optional[bytes] = ..., mime_type: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...
