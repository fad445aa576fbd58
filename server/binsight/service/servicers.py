"""One servicer per service in proto/binsight/v1. Each method unpacks the request, calls the
``Project`` core and packs the answer; errors from the core become gRPC statuses with the core's
message, which is written for a person to act on."""

from __future__ import annotations

import functools
import inspect
import logging
from typing import Any, Callable

import grpc

from binsight_api.v1 import (
    clusters_pb2, clusters_pb2_grpc, common_pb2, compare_pb2_grpc, export_pb2, export_pb2_grpc, feedback_pb2,
    feedback_pb2_grpc, ingest_pb2, ingest_pb2_grpc, search_pb2, search_pb2_grpc, system_pb2, system_pb2_grpc,
)

from ..errors import BinsightError
from ..project import Project
from .convert import status_for, to_message

log = logging.getLogger(__name__)


def _rpc(method: Callable[..., Any]) -> Callable[..., Any]:
    """Map core errors to statuses; log anything unexpected once, with the RPC's name."""

    def fail(context: grpc.ServicerContext, exc: BaseException) -> None:
        if isinstance(exc, BinsightError):
            context.abort(status_for(exc), str(exc))
        log.exception("rpc failed", extra={"rpc": method.__name__})
        context.abort(grpc.StatusCode.INTERNAL, f"{type(exc).__name__}: {exc}")

    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def stream(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
            try:
                yield from method(self, request, context)
            except Exception as exc:  # noqa: BLE001 - reported to the caller as a status
                fail(context, exc)
        return stream

    @functools.wraps(method)
    def unary(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return method(self, request, context)
        except Exception as exc:  # noqa: BLE001 - reported to the caller as a status
            fail(context, exc)
    return unary


class _Base:
    def __init__(self, project: Project) -> None:
        self.project = project


class IngestServicer(_Base, ingest_pb2_grpc.IngestServiceServicer):
    @_rpc
    def StartIngest(self, request, context):
        return to_message(ingest_pb2.Job, self.project.start_ingest(list(request.paths), request.recursive,
                                                                     request.force))

    @_rpc
    def WatchJob(self, request, context):
        for event in self.project.watch_job(request.job_id, alive=context.is_active):
            yield to_message(ingest_pb2.JobEvent, event)

    @_rpc
    def GetJob(self, request, context):
        return to_message(ingest_pb2.Job, self.project.get_job(request.job_id))

    @_rpc
    def ListJobs(self, request, context):
        return to_message(ingest_pb2.ListJobsResponse, {"jobs": self.project.list_jobs()})

    @_rpc
    def CancelJob(self, request, context):
        return to_message(ingest_pb2.Job, self.project.cancel_job(request.job_id))

    @_rpc
    def ListMedia(self, request, context):
        return to_message(ingest_pb2.ListMediaResponse, {"media": self.project.list_media()})

    @_rpc
    def GetMedia(self, request, context):
        return to_message(common_pb2.MediaFile, self.project.get_media(request.media_id))

    @_rpc
    def ListShots(self, request, context):
        shots = self.project.list_shots(media_id=request.media_id, cluster_id=request.cluster_id)
        return to_message(ingest_pb2.ListShotsResponse, {"shots": shots})

    @_rpc
    def GetKeyframeImage(self, request, context):
        image = self.project.keyframe_image(request.keyframe_id, request.thumbnail)
        return ingest_pb2.Image(data=image["data"], mime_type=image["mime_type"], width=image["width"],
                                height=image["height"])

    @_rpc
    def Reembed(self, request, context):
        return to_message(ingest_pb2.Job, self.project.start_reembed())


class ClusterServicer(_Base, clusters_pb2_grpc.ClusterServiceServicer):
    @_rpc
    def ListClusters(self, request, context):
        return to_message(clusters_pb2.ClusterTree, self.project.cluster_tree(request.include_shots))

    @_rpc
    def GetCluster(self, request, context):
        return to_message(common_pb2.Cluster, self.project.get_cluster(request.cluster_id, request.include_shots))

    @_rpc
    def Recluster(self, request, context):
        return to_message(clusters_pb2.ReclusterReport, self.project.recluster(use_adapter=request.use_adapter))

    @_rpc
    def ListCharacters(self, request, context):
        return to_message(clusters_pb2.ListCharactersResponse, {"characters": self.project.list_characters()})

    @_rpc
    def GetReviewQueue(self, request, context):
        return to_message(clusters_pb2.ReviewQueue, {"items": self.project.review_queue(request.limit or 20)})

    @_rpc
    def MarkSeen(self, request, context):
        self.project.mark_seen(list(request.cluster_ids))
        return common_pb2.Empty()


class FeedbackServicer(_Base, feedback_pb2_grpc.FeedbackServiceServicer):
    def _result(self, outcome: dict) -> feedback_pb2.FeedbackResult:
        return to_message(feedback_pb2.FeedbackResult, outcome)

    @_rpc
    def MoveShot(self, request, context):
        return self._result(self.project.feedback.move_shot(request.shot_id, request.to_cluster_id, request.actor))

    @_rpc
    def MergeClusters(self, request, context):
        return self._result(self.project.feedback.merge_clusters(list(request.cluster_ids), request.actor))

    @_rpc
    def SplitCluster(self, request, context):
        return self._result(self.project.feedback.split_cluster(request.cluster_id, list(request.shot_ids),
                                                                request.new_name, request.actor))

    @_rpc
    def RenameCluster(self, request, context):
        return self._result(self.project.feedback.rename_cluster(request.id, request.name, request.actor))

    @_rpc
    def LockCluster(self, request, context):
        return self._result(self.project.feedback.lock_cluster(request.cluster_id, request.locked, request.actor))

    @_rpc
    def RejectShot(self, request, context):
        return self._result(self.project.feedback.reject_shot(request.shot_id, request.cluster_id, request.actor))

    @_rpc
    def AssignFace(self, request, context):
        return self._result(self.project.feedback.assign_face(request.face_id, request.character_id, request.actor))

    @_rpc
    def MergeCharacters(self, request, context):
        return self._result(self.project.feedback.merge_characters(list(request.character_ids), request.actor))

    @_rpc
    def RejectFace(self, request, context):
        return self._result(self.project.feedback.reject_face(request.face_id, request.character_id, request.actor))

    @_rpc
    def RenameCharacter(self, request, context):
        return self._result(self.project.feedback.rename_character(request.id, request.name, request.actor))

    @_rpc
    def ListFeedback(self, request, context):
        return to_message(feedback_pb2.ListFeedbackResponse, {"events": self.project.feedback.events()})

    @_rpc
    def ExportTrainingData(self, request, context):
        jsonl, count = self.project.feedback.training_jsonl()
        return feedback_pb2.TrainingData(jsonl=jsonl, count=count)

    @_rpc
    def TrainAdapter(self, request, context):
        return to_message(feedback_pb2.AdapterReport,
                          self.project.train_adapter(epochs=request.epochs, holdout=request.holdout))

    @_rpc
    def ListAdapters(self, request, context):
        return to_message(feedback_pb2.ListAdaptersResponse, {"adapters": self.project.list_adapters()})

    @_rpc
    def ActivateAdapter(self, request, context):
        return to_message(feedback_pb2.AdapterReport, self.project.activate_adapter(request.version))


class SearchServicer(_Base, search_pb2_grpc.SearchServiceServicer):
    @_rpc
    def SearchText(self, request, context):
        return to_message(search_pb2.SearchResponse, self.project.search_text(request.query, request.limit or 20))

    @_rpc
    def SearchSimilar(self, request, context):
        return to_message(search_pb2.SearchResponse,
                          self.project.search_similar(request.shot_id, request.limit or 20))


class CompareServicer(compare_pb2_grpc.CompareServiceServicer):
    """Declared in v1 so panels can be built against it; cut comparison is a later milestone and
    answers UNIMPLEMENTED (the generated base class does exactly that)."""


class ExportServicer(_Base, export_pb2_grpc.ExportServiceServicer):
    @_rpc
    def Export(self, request, context):
        files = self.project.export(request.format, cluster_ids=list(request.cluster_ids),
                                    include_noise=request.include_noise, out_dir=request.out_dir,
                                    options=dict(request.options), project_name=request.project)
        return export_pb2.ExportResponse(files=[export_pb2.ExportedFile(**f) for f in files])

    @_rpc
    def ListFormats(self, request, context):
        return export_pb2.ListFormatsResponse(formats=self.project.export_formats())


class SystemServicer(_Base, system_pb2_grpc.SystemServiceServicer):
    @_rpc
    def GetStatus(self, request, context):
        return to_message(system_pb2.Status, self.project.status())

    @_rpc
    def ListModels(self, request, context):
        return to_message(system_pb2.ListModelsResponse, {"models": self.project.list_models()})
