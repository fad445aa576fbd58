from . import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CorrectSlateRequest(_message.Message):
    __slots__ = ("media_id", "fields", "actor")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MEDIA_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    media_id: str
    fields: _containers.ScalarMap[str, str]
    actor: str
    def __init__(self, media_id: _Optional[str] = ..., fields: _Optional[_Mapping[str, str]] = ..., actor: _Optional[str] = ...) -> None: ...

class CreateBinRequest(_message.Message):
    __slots__ = ("shot_ids", "name", "actor")
    SHOT_IDS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    shot_ids: _containers.RepeatedScalarFieldContainer[str]
    name: str
    actor: str
    def __init__(self, shot_ids: _Optional[_Iterable[str]] = ..., name: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class UndoRequest(_message.Message):
    __slots__ = ("feedback_id", "actor")
    FEEDBACK_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    feedback_id: str
    actor: str
    def __init__(self, feedback_id: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class MoveShotRequest(_message.Message):
    __slots__ = ("shot_id", "to_cluster_id", "actor")
    SHOT_ID_FIELD_NUMBER: _ClassVar[int]
    TO_CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    shot_id: str
    to_cluster_id: str
    actor: str
    def __init__(self, shot_id: _Optional[str] = ..., to_cluster_id: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class MergeClustersRequest(_message.Message):
    __slots__ = ("cluster_ids", "actor")
    CLUSTER_IDS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    cluster_ids: _containers.RepeatedScalarFieldContainer[str]
    actor: str
    def __init__(self, cluster_ids: _Optional[_Iterable[str]] = ..., actor: _Optional[str] = ...) -> None: ...

class SplitClusterRequest(_message.Message):
    __slots__ = ("cluster_id", "shot_ids", "new_name", "actor")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    SHOT_IDS_FIELD_NUMBER: _ClassVar[int]
    NEW_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    shot_ids: _containers.RepeatedScalarFieldContainer[str]
    new_name: str
    actor: str
    def __init__(self, cluster_id: _Optional[str] = ..., shot_ids: _Optional[_Iterable[str]] = ..., new_name: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class RenameRequest(_message.Message):
    __slots__ = ("id", "name", "actor")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    actor: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class LockRequest(_message.Message):
    __slots__ = ("cluster_id", "locked", "actor")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    LOCKED_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    locked: bool
    actor: str
    def __init__(self, cluster_id: _Optional[str] = ..., locked: _Optional[bool] = ..., actor: _Optional[str] = ...) -> None: ...

class RejectShotRequest(_message.Message):
    __slots__ = ("shot_id", "cluster_id", "actor")
    SHOT_ID_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    shot_id: str
    cluster_id: str
    actor: str
    def __init__(self, shot_id: _Optional[str] = ..., cluster_id: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class AssignFaceRequest(_message.Message):
    __slots__ = ("face_id", "character_id", "actor")
    FACE_ID_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    face_id: str
    character_id: str
    actor: str
    def __init__(self, face_id: _Optional[str] = ..., character_id: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class MergeCharactersRequest(_message.Message):
    __slots__ = ("character_ids", "actor")
    CHARACTER_IDS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    character_ids: _containers.RepeatedScalarFieldContainer[str]
    actor: str
    def __init__(self, character_ids: _Optional[_Iterable[str]] = ..., actor: _Optional[str] = ...) -> None: ...

class RejectFaceRequest(_message.Message):
    __slots__ = ("face_id", "character_id", "actor")
    FACE_ID_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    face_id: str
    character_id: str
    actor: str
    def __init__(self, face_id: _Optional[str] = ..., character_id: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class FeedbackEvent(_message.Message):
    __slots__ = ("feedback_id", "action", "actor", "created_at", "subject_id", "from_id", "to_id", "detail_json", "state", "applied_at", "undone_at", "undone_by")
    FEEDBACK_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_ID_FIELD_NUMBER: _ClassVar[int]
    TO_ID_FIELD_NUMBER: _ClassVar[int]
    DETAIL_JSON_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    APPLIED_AT_FIELD_NUMBER: _ClassVar[int]
    UNDONE_AT_FIELD_NUMBER: _ClassVar[int]
    UNDONE_BY_FIELD_NUMBER: _ClassVar[int]
    feedback_id: str
    action: str
    actor: str
    created_at: str
    subject_id: str
    from_id: str
    to_id: str
    detail_json: str
    state: str
    applied_at: str
    undone_at: str
    undone_by: str
    def __init__(self, feedback_id: _Optional[str] = ..., action: _Optional[str] = ..., actor: _Optional[str] = ..., created_at: _Optional[str] = ..., subject_id: _Optional[str] = ..., from_id: _Optional[str] = ..., to_id: _Optional[str] = ..., detail_json: _Optional[str] = ..., state: _Optional[str] = ..., applied_at: _Optional[str] = ..., undone_at: _Optional[str] = ..., undone_by: _Optional[str] = ...) -> None: ...

class FeedbackResult(_message.Message):
    __slots__ = ("event", "affected_cluster_ids", "triplets_added")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    AFFECTED_CLUSTER_IDS_FIELD_NUMBER: _ClassVar[int]
    TRIPLETS_ADDED_FIELD_NUMBER: _ClassVar[int]
    event: FeedbackEvent
    affected_cluster_ids: _containers.RepeatedScalarFieldContainer[str]
    triplets_added: int
    def __init__(self, event: _Optional[_Union[FeedbackEvent, _Mapping]] = ..., affected_cluster_ids: _Optional[_Iterable[str]] = ..., triplets_added: _Optional[int] = ...) -> None: ...

class ListFeedbackResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[FeedbackEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[FeedbackEvent, _Mapping]]] = ...) -> None: ...

class TrainingData(_message.Message):
    __slots__ = ("jsonl", "count")
    JSONL_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    jsonl: bytes
    count: int
    def __init__(self, jsonl: _Optional[bytes] = ..., count: _Optional[int] = ...) -> None: ...

class TrainAdapterRequest(_message.Message):
    __slots__ = ("epochs", "holdout")
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    HOLDOUT_FIELD_NUMBER: _ClassVar[int]
    epochs: int
    holdout: float
    def __init__(self, epochs: _Optional[int] = ..., holdout: _Optional[float] = ...) -> None: ...

class AdapterReport(_message.Message):
    __slots__ = ("version", "activated", "validation_before", "validation_after", "triplets_train", "triplets_validation", "message", "active_version")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTIVATED_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_BEFORE_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_AFTER_FIELD_NUMBER: _ClassVar[int]
    TRIPLETS_TRAIN_FIELD_NUMBER: _ClassVar[int]
    TRIPLETS_VALIDATION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_VERSION_FIELD_NUMBER: _ClassVar[int]
    version: str
    activated: bool
    validation_before: float
    validation_after: float
    triplets_train: int
    triplets_validation: int
    message: str
    active_version: str
    def __init__(self, version: _Optional[str] = ..., activated: _Optional[bool] = ..., validation_before: _Optional[float] = ..., validation_after: _Optional[float] = ..., triplets_train: _Optional[int] = ..., triplets_validation: _Optional[int] = ..., message: _Optional[str] = ..., active_version: _Optional[str] = ...) -> None: ...

class AdapterInfo(_message.Message):
    __slots__ = ("version", "created_at", "active", "validation_before", "validation_after", "model_id", "path")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_BEFORE_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_AFTER_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    version: str
    created_at: str
    active: bool
    validation_before: float
    validation_after: float
    model_id: str
    path: str
    def __init__(self, version: _Optional[str] = ..., created_at: _Optional[str] = ..., active: _Optional[bool] = ..., validation_before: _Optional[float] = ..., validation_after: _Optional[float] = ..., model_id: _Optional[str] = ..., path: _Optional[str] = ...) -> None: ...

class ListAdaptersResponse(_message.Message):
    __slots__ = ("adapters",)
    ADAPTERS_FIELD_NUMBER: _ClassVar[int]
    adapters: _containers.RepeatedCompositeFieldContainer[AdapterInfo]
    def __init__(self, adapters: _Optional[_Iterable[_Union[AdapterInfo, _Mapping]]] = ...) -> None: ...

class ActivateAdapterRequest(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: str
    def __init__(self, version: _Optional[str] = ...) -> None: ...
