"""One servicer per service in proto/binsight/v1, each handed its own application service. A
method unpacks the request, calls the service and packs the answer; errors from the core become
gRPC statuses with the core's message, which is written for a person to act on."""

from __future__ import annotations

import asyncio
import functools
import logging
from fractions import Fraction
from typing import Any, Callable

import grpc

from binsight_api.v1 import (
    clusters_pb2, clusters_pb2_grpc, common_pb2, compare_pb2, compare_pb2_grpc, export_pb2, export_pb2_grpc, feedback_pb2,
    feedback_pb2_grpc, ingest_pb2, ingest_pb2_grpc, search_pb2, search_pb2_grpc, system_pb2, system_pb2_grpc,
)

from ..app.clusters import ClusterService
from ..app.compare import CompareService
from ..app.export import ExportService
from ..app.feedback import FeedbackService
from ..app.ingest import IngestService
from ..app.search import SearchFilters, SearchQuery, SearchService
from ..app.system import SystemService
from ..errors import BinsightError, InvalidInput, PermissionDenied
from ..access import allows
from ..records import TokenScope
from .calls import Calls, actor, caller
from .convert import Reuse, cluster_arg, message_of, status_for, to_message

log = logging.getLogger(__name__)


def _rpc(method: Callable[..., Any]) -> Callable[..., Any]:
    """An async handler around a plain method: the method runs on the worker pool (the event
    loop only ever waits), with this call's request id and caller in context; core errors become
    statuses with the core's message, anything else is logged once and answered INTERNAL."""

    @functools.wraps(method)
    async def unary(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        with self.calls.calling(context, method.__name__):
            try:
                return await self.calls.run(method.__name__, lambda: _fresh(self, method, request, context))
            except BinsightError as exc:
                await context.abort(status_for(exc), message_of(exc))
            except Exception as exc:  # noqa: BLE001 - reported to the caller as a status
                log.exception("rpc failed", extra={"rpc": method.__name__})
                await context.abort(grpc.StatusCode.INTERNAL, message_of(f"{type(exc).__name__}: {exc}"))
    return unary


def _fresh(servicer: Any, method: Callable[..., Any], request: Any, context: Any) -> Any:
    """The method, on a view that includes other servers' commits (a shared library)."""
    servicer.calls.freshen()
    return method(servicer, request, context)


class _Servicer:
    def __init__(self, service: Any, calls: Calls) -> None:
        self.service = service
        self.calls = calls


class IngestServicer(_Servicer, ingest_pb2_grpc.IngestServiceServicer):
    service: IngestService

    @_rpc
    def StartIngest(self, request, context):
        recursive = request.recursive if request.HasField("recursive") else True  # one meaning everywhere
        return to_message(ingest_pb2.Job, self.service.start_ingest(list(request.paths), recursive, request.force))

    async def WatchJob(self, request, context):
        """Streams wait on the event loop, not on a worker thread: any number of open streams
        leave every worker free for unary calls."""
        with self.calls.calling(context, "WatchJob", stream=True):
            loop = asyncio.get_running_loop()
            news = asyncio.Event()
            try:
                unsubscribe = self.service.subscribe_job(request.job_id,
                                                         lambda: loop.call_soon_threadsafe(news.set))
            except BinsightError as exc:
                await context.abort(status_for(exc), message_of(exc))
            try:
                last = 0
                while True:
                    events, state = self.service.job_events(request.job_id, last)
                    for seq, event in events:
                        last = seq
                        yield to_message(ingest_pb2.JobEvent, event)
                    if state.terminal:
                        return
                    await news.wait()
                    news.clear()
            finally:
                unsubscribe()

    @_rpc
    def GetJob(self, request, context):
        return to_message(ingest_pb2.Job, self.service.get_job(request.job_id))

    @_rpc
    def ListJobs(self, request, context):
        return ingest_pb2.ListJobsResponse(jobs=[to_message(ingest_pb2.Job, j) for j in self.service.list_jobs()])

    @_rpc
    def CancelJob(self, request, context):
        return to_message(ingest_pb2.Job, self.service.cancel_job(request.job_id))

    @_rpc
    def ListMedia(self, request, context):
        return ingest_pb2.ListMediaResponse(media=[to_message(common_pb2.MediaFile, m)
                                                   for m in self.service.list_media()])

    @_rpc
    def GetMedia(self, request, context):
        return to_message(common_pb2.MediaFile, self.service.get_media(request.media_id))

    @_rpc
    def ListShots(self, request, context):
        shots = self.service.list_shots(media_id=request.media_id, cluster_id=cluster_arg(request.cluster_id))
        return ingest_pb2.ListShotsResponse(shots=[to_message(common_pb2.Shot, s) for s in shots])

    @_rpc
    def ListSlates(self, request, context):
        return to_message(ingest_pb2.ListSlatesResponse, self.service.list_slates(request.unsure_only))

    @_rpc
    def GetKeyframeImage(self, request, context):
        return to_message(ingest_pb2.Image, self.service.keyframe_image(request.keyframe_id, request.thumbnail))

    @_rpc
    def GetFaceImage(self, request, context):
        return to_message(ingest_pb2.Image, self.service.face_image(request.face_id))

    @_rpc
    def Reembed(self, request, context):
        return to_message(ingest_pb2.Job, self.service.start_reembed())


class ClusterServicer(_Servicer, clusters_pb2_grpc.ClusterServiceServicer):
    service: ClusterService

    def __init__(self, service: ClusterService, calls: Calls) -> None:
        super().__init__(service, calls)
        self._summaries = Reuse(common_pb2.Cluster)  # bin summaries of the tree, by view

    @_rpc
    def ListClusters(self, request, context):
        if request.include_shots:
            return to_message(clusters_pb2.ClusterTree, self.service.tree(True))
        return to_message(clusters_pb2.ClusterTree, self.service.tree(False), self._summaries)

    @_rpc
    def GetCluster(self, request, context):
        return to_message(common_pb2.Cluster, self.service.cluster(cluster_arg(request.cluster_id),
                                                                   request.include_shots))

    @_rpc
    def Recluster(self, request, context):
        return to_message(clusters_pb2.ReclusterReport, self.service.recluster(use_adapter=request.use_adapter))

    @_rpc
    def ListCharacters(self, request, context):
        return clusters_pb2.ListCharactersResponse(characters=[to_message(common_pb2.Character, c)
                                                               for c in self.service.characters()])

    @_rpc
    def GetReviewQueue(self, request, context):
        items = self.service.review_queue(request.limit)
        return clusters_pb2.ReviewQueue(items=[to_message(clusters_pb2.ReviewItem, i) for i in items])

    @_rpc
    def MarkSeen(self, request, context):
        self.service.mark_seen(list(request.cluster_ids))
        return common_pb2.Empty()


class FeedbackServicer(_Servicer, feedback_pb2_grpc.FeedbackServiceServicer):
    service: FeedbackService

    @staticmethod
    def _result(outcome: Any) -> feedback_pb2.FeedbackResult:
        return to_message(feedback_pb2.FeedbackResult, outcome)

    @_rpc
    def MoveShot(self, request, context):
        target = cluster_arg(request.to_cluster_id) or None  # "" and "noise": the noise bucket
        return self._result(self.service.move_shot(request.shot_id, target, actor(request.actor)))

    @_rpc
    def MergeClusters(self, request, context):
        return self._result(self.service.merge_clusters(list(request.cluster_ids), actor(request.actor)))

    @_rpc
    def SplitCluster(self, request, context):
        return self._result(self.service.split_cluster(request.cluster_id, list(request.shot_ids),
                                                       request.new_name, actor(request.actor)))

    @_rpc
    def RenameCluster(self, request, context):
        return self._result(self.service.rename_cluster(request.id, request.name, actor(request.actor)))

    @_rpc
    def LockCluster(self, request, context):
        return self._result(self.service.lock_cluster(request.cluster_id, request.locked, actor(request.actor)))

    @_rpc
    def RejectShot(self, request, context):
        return self._result(self.service.reject_shot(request.shot_id, request.cluster_id, actor(request.actor)))

    @_rpc
    def AssignFace(self, request, context):
        return self._result(self.service.assign_face(request.face_id, request.character_id or None, actor(request.actor)))

    @_rpc
    def MergeCharacters(self, request, context):
        return self._result(self.service.merge_characters(list(request.character_ids), actor(request.actor)))

    @_rpc
    def RejectFace(self, request, context):
        return self._result(self.service.reject_face(request.face_id, request.character_id, actor(request.actor)))

    @_rpc
    def RenameCharacter(self, request, context):
        return self._result(self.service.rename_character(request.id, request.name, actor(request.actor)))

    @_rpc
    def CreateBin(self, request, context):
        return self._result(self.service.create_bin(list(request.shot_ids), request.name, actor(request.actor)))

    @_rpc
    def CorrectSlate(self, request, context):
        return self._result(self.service.correct_slate(request.media_id, dict(request.fields), actor(request.actor)))

    @_rpc
    def UndoFeedback(self, request, context):
        return self._result(self.service.undo(request.actor, request.feedback_id))

    @_rpc
    def RedoFeedback(self, request, context):
        return self._result(self.service.redo(request.actor, request.feedback_id))

    @_rpc
    def ListFeedback(self, request, context):
        return feedback_pb2.ListFeedbackResponse(events=[to_message(feedback_pb2.FeedbackEvent, e)
                                                         for e in self.service.history()])

    @_rpc
    def ExportTrainingData(self, request, context):
        jsonl, count = self.service.training_jsonl()
        return feedback_pb2.TrainingData(jsonl=jsonl, count=count)

    @_rpc
    def TrainAdapter(self, request, context):
        return to_message(feedback_pb2.AdapterReport,
                          self.service.train_adapter(epochs=request.epochs, holdout=request.holdout))

    @_rpc
    def ListAdapters(self, request, context):
        return feedback_pb2.ListAdaptersResponse(adapters=[to_message(feedback_pb2.AdapterInfo, a)
                                                           for a in self.service.list_adapters()])

    @_rpc
    def ActivateAdapter(self, request, context):
        return to_message(feedback_pb2.AdapterReport, self.service.activate_adapter(request.version))


class SearchServicer(_Servicer, search_pb2_grpc.SearchServiceServicer):
    service: SearchService

    @_rpc
    def Search(self, request, context):
        f = request.filters
        rates = []
        for rate in f.frame_rates:
            if rate.den <= 0 or rate.num <= 0:
                raise InvalidInput(f"frame rate {rate.num}/{rate.den} is not a rate (give num/den, both above 0)")
            rates.append(Fraction(rate.num, rate.den))
        filters = SearchFilters(
            media_ids=tuple(f.media_ids), cluster_ids=tuple(cluster_arg(c) for c in f.cluster_ids),
            person_ids=tuple(f.person_ids), faces_only=f.faces_only, min_duration_s=f.min_duration_s,
            max_duration_s=f.max_duration_s, frame_rates=tuple(rates), shot_after=f.shot_after,
            shot_before=f.shot_before, reels=tuple(f.reels))
        query = SearchQuery(text=request.text, shot_id=request.shot_id, keyframe_id=request.keyframe_id,
                            image=bytes(request.image), person=request.person, filters=filters,
                            limit=request.limit, min_score=request.min_score)
        return to_message(search_pb2.SearchResponse, self.service.search(query))

    @_rpc
    def SearchText(self, request, context):
        return to_message(search_pb2.SearchResponse, self.service.text(request.query, request.limit))

    @_rpc
    def SearchSimilar(self, request, context):
        return to_message(search_pb2.SearchResponse, self.service.similar(request.shot_id, request.limit))


class CompareServicer(_Servicer, compare_pb2_grpc.CompareServiceServicer):
    service: CompareService

    @_rpc
    def Compare(self, request, context):
        return to_message(compare_pb2.CompareResponse, self.service.compare(
            request.a, request.b, request.report_format, request.match_threshold, request.changed_structure,
            request.changed_colour))


class ExportServicer(_Servicer, export_pb2_grpc.ExportServiceServicer):
    service: ExportService

    @_rpc
    def Export(self, request, context):
        token = caller()
        if request.out_dir and token is not None and not allows(token.scope, TokenScope.WRITE):
            raise PermissionDenied(f"token {token.name!r} may read, not write files on the server: "
                                   f"ask for the files' bytes (no out_dir)")
        outcome = self.service.export(request.format, cluster_ids=[cluster_arg(c) for c in request.cluster_ids],
                                      include_noise=request.include_noise, out_dir=request.out_dir,
                                      options=dict(request.options), project_name=request.project,
                                      overwrite=request.overwrite, shot_ids=list(request.shot_ids),
                                      bin_name=request.bin_name)
        return to_message(export_pb2.ExportResponse, outcome)

    @_rpc
    def ListFormats(self, request, context):
        return export_pb2.ListFormatsResponse(formats=self.service.formats())


class SystemServicer(_Servicer, system_pb2_grpc.SystemServiceServicer):
    service: SystemService

    @_rpc
    def GetStatus(self, request, context):
        return to_message(system_pb2.Status, self.service.status())

    @_rpc
    def ListModels(self, request, context):
        return system_pb2.ListModelsResponse(models=[to_message(system_pb2.ModelInfo, m)
                                                     for m in self.service.models_list()])
