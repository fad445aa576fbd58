"""The Binsight client: one method per RPC, plain dataclasses out, SDK exceptions on failure.

Runs inside DaVinci Resolve's Python, so it needs only ``grpcio`` and ``protobuf`` and never
imports the server package::

    from binsight_client import Client
    with Client("127.0.0.1:50051") as c:
        job = c.start_ingest(["/footage/day1"])
        for event in c.watch_job(job.job_id):
            print(event.stage, event.frames_done, event.frames_total)
        tree = c.list_clusters()
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence

import grpc

from binsight_api.v1 import (
    clusters_pb2, clusters_pb2_grpc, common_pb2, compare_pb2, compare_pb2_grpc, export_pb2, export_pb2_grpc,
    feedback_pb2, feedback_pb2_grpc, ingest_pb2, ingest_pb2_grpc, search_pb2, search_pb2_grpc,
    system_pb2_grpc,
)

from . import types as t
from .errors import from_rpc_error

DEFAULT_ADDRESS = "127.0.0.1:50051"


def _read(path: str) -> bytes:
    with open(os.path.expanduser(path), "rb") as f:
        return f.read()


def _token(token_file: Optional[str]) -> str:
    token = os.environ.get("BINSIGHT_TOKEN", "").strip()
    path = token_file or os.environ.get("BINSIGHT_TOKEN_FILE")
    if not token and path:
        token = _read(path).decode().strip()
    return token
DEFAULT_TIMEOUT_S = 30.0


class Client:
    def __init__(self, address: str = DEFAULT_ADDRESS, timeout: float = DEFAULT_TIMEOUT_S,
                 actor: str = "", token_file: Optional[str] = None, tls_ca: Optional[str] = None) -> None:
        """``timeout`` is the default per-call deadline in seconds (each method also takes
        ``timeout=``); ``actor`` names the person whose corrections this client sends (a server
        that takes tokens uses the token's name instead).

        Credentials never come from code: the token is read from ``$BINSIGHT_TOKEN``, else from
        the file ``token_file`` or ``$BINSIGHT_TOKEN_FILE``; TLS is on when ``tls_ca`` or
        ``$BINSIGHT_TLS_CA`` names the CA certificate that signed the server's (with
        ``$BINSIGHT_TLS_CERT`` and ``$BINSIGHT_TLS_KEY`` for a client certificate)."""
        self.address = address
        self.timeout = timeout
        self.actor = actor
        token = _token(token_file)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        options = [("grpc.max_receive_message_length", 256 * 1024 * 1024),
                   ("grpc.max_send_message_length", 64 * 1024 * 1024)]
        ca = tls_ca or os.environ.get("BINSIGHT_TLS_CA")
        if ca:
            cert, key = os.environ.get("BINSIGHT_TLS_CERT"), os.environ.get("BINSIGHT_TLS_KEY")
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read(ca), private_key=_read(key) if key else None,
                certificate_chain=_read(cert) if cert else None)
            self._channel = grpc.secure_channel(address, credentials, options=options)
        else:
            self._channel = grpc.insecure_channel(address, options=options)
        self._ingest = ingest_pb2_grpc.IngestServiceStub(self._channel)
        self._clusters = clusters_pb2_grpc.ClusterServiceStub(self._channel)
        self._feedback = feedback_pb2_grpc.FeedbackServiceStub(self._channel)
        self._search = search_pb2_grpc.SearchServiceStub(self._channel)
        self._compare = compare_pb2_grpc.CompareServiceStub(self._channel)
        self._export = export_pb2_grpc.ExportServiceStub(self._channel)
        self._system = system_pb2_grpc.SystemServiceStub(self._channel)

    # -- plumbing ----------------------------------------------------------------------------------
    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _call(self, method: Callable[..., Any], request: Any, timeout: Optional[float]) -> Any:
        try:
            return method(request, timeout=self.timeout if timeout is None else timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Block until the server answers, or raise ``Unavailable``."""
        try:
            grpc.channel_ready_future(self._channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            from .errors import Unavailable
            raise Unavailable(f"no Binsight server answers at {self.address} "
                              f"(start one with `binsight serve`)") from None

    # -- ingest ------------------------------------------------------------------------------------
    def start_ingest(self, paths: Sequence[str], recursive: bool = True, force: bool = False,
                     timeout: Optional[float] = None) -> t.Job:
        request = ingest_pb2.StartIngestRequest(paths=list(paths), recursive=recursive, force=force)
        return t.from_message(t.Job, self._call(self._ingest.StartIngest, request, timeout))

    def watch_job(self, job_id: str, timeout: Optional[float] = None) -> Iterator[t.JobEvent]:
        """Progress events until the job ends. ``timeout`` bounds the whole stream (default: none)."""
        stream = self._ingest.WatchJob(ingest_pb2.JobRequest(job_id=job_id), timeout=timeout, metadata=self._metadata)
        try:
            for event in stream:
                yield t.from_message(t.JobEvent, event)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    def ingest(self, paths: Sequence[str], recursive: bool = True, force: bool = False,
               on_event: Optional[Callable[[t.JobEvent], None]] = None) -> t.Job:
        """Start an ingest, follow it to the end and return the finished job."""
        job = self.start_ingest(paths, recursive=recursive, force=force)
        for event in self.watch_job(job.job_id):
            if on_event:
                on_event(event)
        return self.get_job(job.job_id)

    def get_job(self, job_id: str, timeout: Optional[float] = None) -> t.Job:
        return t.from_message(t.Job, self._call(self._ingest.GetJob, ingest_pb2.JobRequest(job_id=job_id), timeout))

    def list_jobs(self, timeout: Optional[float] = None) -> List[t.Job]:
        response = self._call(self._ingest.ListJobs, common_pb2.Empty(), timeout)
        return [t.from_message(t.Job, j) for j in response.jobs]

    def cancel_job(self, job_id: str, timeout: Optional[float] = None) -> t.Job:
        return t.from_message(t.Job, self._call(self._ingest.CancelJob, ingest_pb2.JobRequest(job_id=job_id), timeout))

    def list_media(self, timeout: Optional[float] = None) -> List[t.MediaFile]:
        response = self._call(self._ingest.ListMedia, common_pb2.Empty(), timeout)
        return [t.from_message(t.MediaFile, m) for m in response.media]

    def get_media(self, media_id: str, timeout: Optional[float] = None) -> t.MediaFile:
        request = ingest_pb2.MediaRequest(media_id=media_id)
        return t.from_message(t.MediaFile, self._call(self._ingest.GetMedia, request, timeout))

    def list_shots(self, media_id: str = "", cluster_id: str = "", timeout: Optional[float] = None) -> List[t.Shot]:
        request = ingest_pb2.ListShotsRequest(media_id=media_id, cluster_id=cluster_id)
        return [t.from_message(t.Shot, s) for s in self._call(self._ingest.ListShots, request, timeout).shots]

    def keyframe_image(self, keyframe_id: str, thumbnail: bool = False, timeout: Optional[float] = None) -> t.Image:
        request = ingest_pb2.KeyframeImageRequest(keyframe_id=keyframe_id, thumbnail=thumbnail)
        return t.from_message(t.Image, self._call(self._ingest.GetKeyframeImage, request, timeout))

    def face_image(self, face_id: str, timeout: Optional[float] = None) -> t.Image:
        """A small square JPEG of one detected face."""
        request = ingest_pb2.FaceImageRequest(face_id=face_id)
        return t.from_message(t.Image, self._call(self._ingest.GetFaceImage, request, timeout))

    def list_slates(self, unsure_only: bool = False, timeout: Optional[float] = None) -> t.Slates:
        """The clips' slates and the scene / setup / take tree of the sure ones."""
        request = ingest_pb2.ListSlatesRequest(unsure_only=unsure_only)
        return t.from_message(t.Slates, self._call(self._ingest.ListSlates, request, timeout))

    def reembed(self, timeout: Optional[float] = None) -> t.Job:
        return t.from_message(t.Job, self._call(self._ingest.Reembed, common_pb2.Empty(), timeout))

    # -- clusters ----------------------------------------------------------------------------------
    def list_clusters(self, include_shots: bool = True, timeout: Optional[float] = None) -> t.ClusterTree:
        request = clusters_pb2.ListClustersRequest(include_shots=include_shots)
        return t.from_message(t.ClusterTree, self._call(self._clusters.ListClusters, request, timeout))

    def get_cluster(self, cluster_id: str, include_shots: bool = True, timeout: Optional[float] = None) -> t.Cluster:
        request = clusters_pb2.ClusterRequest(cluster_id=cluster_id, include_shots=include_shots)
        return t.from_message(t.Cluster, self._call(self._clusters.GetCluster, request, timeout))

    def recluster(self, use_adapter: bool = True, timeout: Optional[float] = None) -> t.ReclusterReport:
        request = clusters_pb2.ReclusterRequest(use_adapter=use_adapter)
        return t.from_message(t.ReclusterReport, self._call(self._clusters.Recluster, request, timeout))

    def list_characters(self, timeout: Optional[float] = None) -> List[t.Character]:
        response = self._call(self._clusters.ListCharacters, common_pb2.Empty(), timeout)
        return [t.from_message(t.Character, c) for c in response.characters]

    def review_queue(self, limit: int = 20, timeout: Optional[float] = None) -> List[t.ReviewItem]:
        request = clusters_pb2.ReviewQueueRequest(limit=limit)
        return [t.from_message(t.ReviewItem, i) for i in self._call(self._clusters.GetReviewQueue, request, timeout).items]

    def mark_seen(self, cluster_ids: Iterable[str], timeout: Optional[float] = None) -> None:
        self._call(self._clusters.MarkSeen, clusters_pb2.ClusterIds(cluster_ids=list(cluster_ids)), timeout)

    # -- feedback ----------------------------------------------------------------------------------
    def _feedback_call(self, method: Callable[..., Any], request: Any, timeout: Optional[float]) -> t.FeedbackResult:
        return t.from_message(t.FeedbackResult, self._call(method, request, timeout))

    def move_shot(self, shot_id: str, to_cluster_id: str = "", timeout: Optional[float] = None) -> t.FeedbackResult:
        """Move a shot to a cluster; an empty ``to_cluster_id`` moves it to the noise bucket."""
        request = feedback_pb2.MoveShotRequest(shot_id=shot_id, to_cluster_id=to_cluster_id, actor=self.actor)
        return self._feedback_call(self._feedback.MoveShot, request, timeout)

    def merge_clusters(self, cluster_ids: Sequence[str], timeout: Optional[float] = None) -> t.FeedbackResult:
        request = feedback_pb2.MergeClustersRequest(cluster_ids=list(cluster_ids), actor=self.actor)
        return self._feedback_call(self._feedback.MergeClusters, request, timeout)

    def split_cluster(self, cluster_id: str, shot_ids: Sequence[str], new_name: str = "",
                      timeout: Optional[float] = None) -> t.FeedbackResult:
        request = feedback_pb2.SplitClusterRequest(cluster_id=cluster_id, shot_ids=list(shot_ids),
                                                   new_name=new_name, actor=self.actor)
        return self._feedback_call(self._feedback.SplitCluster, request, timeout)

    def rename_cluster(self, cluster_id: str, name: str, timeout: Optional[float] = None) -> t.FeedbackResult:
        request = feedback_pb2.RenameRequest(id=cluster_id, name=name, actor=self.actor)
        return self._feedback_call(self._feedback.RenameCluster, request, timeout)

    def lock_cluster(self, cluster_id: str, locked: bool = True, timeout: Optional[float] = None) -> t.FeedbackResult:
        request = feedback_pb2.LockRequest(cluster_id=cluster_id, locked=locked, actor=self.actor)
        return self._feedback_call(self._feedback.LockCluster, request, timeout)

    def reject_shot(self, shot_id: str, cluster_id: str, timeout: Optional[float] = None) -> t.FeedbackResult:
        request = feedback_pb2.RejectShotRequest(shot_id=shot_id, cluster_id=cluster_id, actor=self.actor)
        return self._feedback_call(self._feedback.RejectShot, request, timeout)

    def assign_face(self, face_id: str, character_id: str, timeout: Optional[float] = None) -> t.FeedbackResult:
        request = feedback_pb2.AssignFaceRequest(face_id=face_id, character_id=character_id, actor=self.actor)
        return self._feedback_call(self._feedback.AssignFace, request, timeout)

    def merge_characters(self, character_ids: Sequence[str], timeout: Optional[float] = None) -> t.FeedbackResult:
        request = feedback_pb2.MergeCharactersRequest(character_ids=list(character_ids), actor=self.actor)
        return self._feedback_call(self._feedback.MergeCharacters, request, timeout)

    def reject_face(self, face_id: str, character_id: str, timeout: Optional[float] = None) -> t.FeedbackResult:
        request = feedback_pb2.RejectFaceRequest(face_id=face_id, character_id=character_id, actor=self.actor)
        return self._feedback_call(self._feedback.RejectFace, request, timeout)

    def rename_character(self, character_id: str, name: str, timeout: Optional[float] = None) -> t.FeedbackResult:
        request = feedback_pb2.RenameRequest(id=character_id, name=name, actor=self.actor)
        return self._feedback_call(self._feedback.RenameCharacter, request, timeout)

    def create_bin(self, shot_ids: Sequence[str], name: str = "", timeout: Optional[float] = None) -> t.FeedbackResult:
        """A new scene bin holding these shots (a search's results, a hand-picked set)."""
        request = feedback_pb2.CreateBinRequest(shot_ids=list(shot_ids), name=name, actor=self.actor)
        return self._feedback_call(self._feedback.CreateBin, request, timeout)

    def correct_slate(self, media_id: str, fields: Mapping[str, str],
                      timeout: Optional[float] = None) -> t.FeedbackResult:
        """Say what a clip's slate says (``{"scene": "12A", "take": "3"}``; empty: it has none).
        Wins over every later read of the file; undo it like any correction."""
        request = feedback_pb2.CorrectSlateRequest(media_id=media_id, fields=dict(fields), actor=self.actor)
        return self._feedback_call(self._feedback.CorrectSlate, request, timeout)

    def undo(self, feedback_id: str = "", timeout: Optional[float] = None) -> t.FeedbackResult:
        """Undo a correction: by default this client's actor's latest one. Raises
        ``FailedPrecondition`` naming who and what when a later correction would be lost."""
        request = feedback_pb2.UndoRequest(feedback_id=feedback_id, actor=self.actor)
        return self._feedback_call(self._feedback.UndoFeedback, request, timeout)

    def redo(self, feedback_id: str = "", timeout: Optional[float] = None) -> t.FeedbackResult:
        """Apply an undone correction again: by default the actor's latest undo."""
        request = feedback_pb2.UndoRequest(feedback_id=feedback_id, actor=self.actor)
        return self._feedback_call(self._feedback.RedoFeedback, request, timeout)

    def list_feedback(self, timeout: Optional[float] = None) -> List[t.FeedbackEvent]:
        response = self._call(self._feedback.ListFeedback, common_pb2.Empty(), timeout)
        return [t.from_message(t.FeedbackEvent, e) for e in response.events]

    def export_training_data(self, timeout: Optional[float] = None) -> bytes:
        return bytes(self._call(self._feedback.ExportTrainingData, common_pb2.Empty(), timeout).jsonl)

    def train_adapter(self, epochs: int = 0, holdout: float = 0.0, timeout: Optional[float] = None) -> t.AdapterReport:
        request = feedback_pb2.TrainAdapterRequest(epochs=epochs, holdout=holdout)
        return t.from_message(t.AdapterReport, self._call(self._feedback.TrainAdapter, request, timeout))

    def list_adapters(self, timeout: Optional[float] = None) -> List[t.AdapterInfo]:
        response = self._call(self._feedback.ListAdapters, common_pb2.Empty(), timeout)
        return [t.from_message(t.AdapterInfo, a) for a in response.adapters]

    def activate_adapter(self, version: str, timeout: Optional[float] = None) -> t.AdapterReport:
        request = feedback_pb2.ActivateAdapterRequest(version=version)
        return t.from_message(t.AdapterReport, self._call(self._feedback.ActivateAdapter, request, timeout))

    # -- search ------------------------------------------------------------------------------------
    def search(self, text: str = "", shot_id: str = "", keyframe_id: str = "", image: bytes = b"", person: str = "",
               filters: Optional[t.SearchFilters] = None, limit: int = 20, min_score: float = 0.0,
               timeout: Optional[float] = None) -> t.SearchResult:
        """Shots matching any mix of text (CLIP when installed, and always the shots' words),
        an example shot, keyframe or JPEG/PNG image, and a person ("@name" or a character id),
        restricted by ``filters``; hits below ``min_score`` are left out."""
        f = filters or t.SearchFilters()
        wire = search_pb2.SearchFilters(
            media_ids=list(f.media_ids), cluster_ids=list(f.cluster_ids), person_ids=list(f.person_ids),
            faces_only=f.faces_only, min_duration_s=f.min_duration_s, max_duration_s=f.max_duration_s,
            frame_rates=[common_pb2.Rational(num=r.numerator, den=r.denominator) for r in map(Fraction, f.frame_rates)],
            shot_after=f.shot_after, shot_before=f.shot_before, reels=list(f.reels))
        request = search_pb2.SearchRequest(text=text, shot_id=shot_id, keyframe_id=keyframe_id, image=bytes(image),
                                           person=person, filters=wire, limit=limit, min_score=min_score)
        return t.from_message(t.SearchResult, self._call(self._search.Search, request, timeout))

    def search_text(self, query: str, limit: int = 20, timeout: Optional[float] = None) -> List[t.SearchHit]:
        request = search_pb2.SearchTextRequest(query=query, limit=limit)
        return [t.from_message(t.SearchHit, h) for h in self._call(self._search.SearchText, request, timeout).hits]

    def search_similar(self, shot_id: str, limit: int = 20, timeout: Optional[float] = None) -> List[t.SearchHit]:
        request = search_pb2.SearchSimilarRequest(shot_id=shot_id, limit=limit)
        return [t.from_message(t.SearchHit, h) for h in self._call(self._search.SearchSimilar, request, timeout).hits]

    # -- compare -----------------------------------------------------------------------------------
    def compare(self, a: str, b: str, report_format: str = "", match_threshold: float = 0.0,
                changed_structure: float = 0.0, changed_colour: float = 0.0,
                timeout: Optional[float] = None) -> t.Comparison:
        """What changed from version ``a`` to version ``b`` of a cut: each a video file's path on
        the server (under its media roots) or an ingested media id. ``report_format`` ("json",
        "csv", "edl", "otio") also returns that report's bytes. Thresholds (0: the defaults)
        change per call without a new decode. A long file's first analysis takes a while: pass a
        generous ``timeout``."""
        request = compare_pb2.CompareRequest(a=a, b=b, report_format=report_format, match_threshold=match_threshold,
                                             changed_structure=changed_structure, changed_colour=changed_colour)
        return t.from_message(t.Comparison, self._call(self._compare.Compare, request, timeout))

    # -- export ------------------------------------------------------------------------------------
    def export(self, format: str, out_dir: str = "", cluster_ids: Sequence[str] = (), include_noise: bool = True,
               options: Optional[Dict[str, str]] = None, project: str = "", overwrite: bool = False,
               shot_ids: Sequence[str] = (), bin_name: str = "", timeout: Optional[float] = None) -> t.Export:
        """Export bins. With ``out_dir`` the server writes the files there (a folder under its
        export root; refused over existing files unless ``overwrite``); without it the files'
        bytes come back in ``ExportedFile.data``. ``cluster_ids`` may name
        scene bins, people (character ids) and "noise"; none: every bin. ``shot_ids`` exports just
        those shots, as one bin called ``bin_name`` (a search's results)."""
        request = export_pb2.ExportRequest(format=format, cluster_ids=list(cluster_ids), include_noise=include_noise,
                                           out_dir=out_dir, options=options or {}, project=project,
                                           overwrite=overwrite, shot_ids=list(shot_ids), bin_name=bin_name)
        return t.from_message(t.Export, self._call(self._export.Export, request, timeout))

    def export_formats(self, timeout: Optional[float] = None) -> List[str]:
        return list(self._call(self._export.ListFormats, export_pb2.ListFormatsRequest(), timeout).formats)

    # -- system ------------------------------------------------------------------------------------
    def status(self, timeout: Optional[float] = None) -> t.Status:
        return t.from_message(t.Status, self._call(self._system.GetStatus, common_pb2.Empty(), timeout))

    def list_models(self, timeout: Optional[float] = None) -> List[t.ModelInfo]:
        response = self._call(self._system.ListModels, common_pb2.Empty(), timeout)
        return [t.from_message(t.ModelInfo, m) for m in response.models]
