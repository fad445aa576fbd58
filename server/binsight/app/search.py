"""SearchService: shots by picture, by words and by person, with filters, in one query.

A query is any mix of parts; how they combine:

* **picture** (an example shot, keyframe or uploaded JPEG/PNG) and **text** through the CLIP text
  tower (when the scene model has one) give one query vector, the normalised sum of theirs, which
  ranks shots by cosine in the search table (``search_index``);
* **words**: the text is always matched against each shot's words (its file and reel names, its
  bin's name, the names of the people on screen, its clip's slate fields and text); a shot's word
  score is the share of the query's words it has. A shot scores the better of its picture and word
  scores, so "A001" finds reel A001's shots whatever the picture part ranks;
* **person** (``@name`` or a character id) and the **filters** restrict: they go into the
  search table's query as one where-clause (bins and people become shot ids of the live indexes,
  so a correction counts at once). A person or filters with no picture, text or words part list
  every shot they let through, score 1.

Without a CLIP pack the text goes to words only and the answer says so in ``notes``. Each hit says
why it matched (``picture``, ``text``, ``person: Ana``, ``words: reel A001``), and the keyframe that
matched (a word or person hit: the shot's first keyframe).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from ..errors import Conflict, InvalidInput, NotFound
from ..models.select import ActiveModels
from ..records import NOISE
from ..scene_index import SceneIndex
from ..search_index import SearchIndex, normalized, shoot_date
from ..store import RowFilter
from ..validate import check_id
from .views import ProjectView, ShotView

DEFAULT_LIMIT = 20
MAX_QUERY_CHARS = 1_000
TEXT_NEEDS_CLIP = ("text search needs a CLIP pack (see `binsight models`); the text matched words only: file and "
                   "reel names, bin and person names, slate text")
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


@dataclass(frozen=True)
class SearchFilters:
    media_ids: tuple[str, ...] = ()
    cluster_ids: tuple[str | None, ...] = ()  # scene bins; None: the noise bucket
    person_ids: tuple[str, ...] = ()  # shots with all of them on screen
    faces_only: bool = False
    min_duration_s: float = 0.0  # 0: no bound
    max_duration_s: float = 0.0
    frame_rates: tuple[Fraction, ...] = ()
    shot_after: str = ""  # ISO 8601 date or date-time; "": no bound
    shot_before: str = ""
    reels: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    shot_id: str = ""
    keyframe_id: str = ""
    image: bytes = b""
    person: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    limit: int = 0  # 0: DEFAULT_LIMIT
    min_score: float = 0.0


@dataclass(frozen=True)
class SearchHit:
    shot: ShotView
    score: float
    keyframe_id: str
    matched: tuple[str, ...]


@dataclass(frozen=True)
class SearchResult:
    hits: tuple[SearchHit, ...]
    model_id: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Found:
    score: float
    keyframe_id: str
    matched: tuple[str, ...]


def words_of(text: str) -> list[str]:
    """Lower-case letter and digit runs ("A001C003_take-2" -> a001c003, take, 2)."""
    return re.findall(r"[^\W_]+", text.lower())


class _WordIndex:
    """Each placed shot's words by where they come from, built from one project view."""

    def __init__(self, view: ProjectView) -> None:
        self.by_word: dict[str, dict[str, set[str]]] = {}  # word -> shot -> reasons
        catalog, index, characters = view.catalog, view.index, view.characters
        for sid, shot in catalog.shots.items():
            if not view.placed(sid):
                continue
            media = catalog.media_of(shot)
            fields = [("file", Path(media.path).name), ("reel", media.reel)]
            cluster = index.clusters.get(index.cluster_of(sid) or "")
            if cluster is not None:
                fields.append(("bin", cluster.display_name))
            fields += [("person", characters.name(c)) for c in characters.shot_characters.get(sid, ())]
            slate = view.slates.get(shot.media_id)
            if slate is not None:
                fields += [("slate", f.value) for f in slate.fields] + [("slate", t) for t in slate.text]
                label = view.slate_label(shot)
                if label:
                    fields.append(("slate", label))
            for kind, value in fields:
                for word in words_of(value):
                    self.by_word.setdefault(word, {}).setdefault(sid, set()).add(f"words: {kind} {value}")

    def scores(self, query: list[str]) -> dict[str, tuple[float, tuple[str, ...]]]:
        """Shots with any of the words: the share of the query's distinct words each has."""
        wanted = sorted(set(query))
        hits: dict[str, list[set[str]]] = {}
        for word in wanted:
            for sid, reasons in self.by_word.get(word, {}).items():
                hits.setdefault(sid, []).append(reasons)
        return {sid: (len(found) / len(wanted), tuple(sorted(set().union(*found)))) for sid, found in hits.items()}


class SearchService:
    def __init__(self, index: SceneIndex, search_index: SearchIndex, models: ActiveModels,
                 view: Callable[[], ProjectView]) -> None:
        self.index = index
        self.search_index = search_index
        self.models = models
        self.view = view
        self._words: tuple[tuple[int, ...], _WordIndex] | None = None
        self._words_lock = threading.Lock()

    # -- one-part searches (SearchText, SearchSimilar, the review page's move picker) -------------
    def similar(self, shot_id: str, limit: int) -> SearchResult:
        return self.search(SearchQuery(shot_id=shot_id, limit=limit, min_score=-1.0))

    def text(self, query: str, limit: int) -> SearchResult:
        return self.search(SearchQuery(text=query, limit=limit))

    # -- the search ----------------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        limit = self._check(query)
        view = self.view()
        notes: list[str] = []
        people, person_reason = self._person(view, query.person)
        row_filter = self._row_filter(view, query, people)
        vector, vector_reasons = self._query_vector(view, query, notes)
        found: dict[str, _Found] = {}
        if vector is not None:
            for sid, hit in self.search_index.nearest_shots(vector, row_filter, limit).items():
                found[sid] = _Found(hit.score, hit.keyframe_id, vector_reasons)
        words = words_of(query.text)
        if words:
            scored = self._word_index(view).scores(words)
            allowed = self.search_index.matching(_restricted(row_filter, scored)) if scored else set()
            for sid in allowed:
                score, reasons = scored[sid]
                old = found.get(sid)
                if old is None:
                    found[sid] = _Found(score, "", reasons)
                else:
                    found[sid] = _Found(max(old.score, score), old.keyframe_id, old.matched + reasons)
        elif vector is None:  # a person and/or filters only: every shot they let through
            found = {sid: _Found(1.0, "", ()) for sid in self.search_index.matching(row_filter)}
        return SearchResult(self._hits(view, found, query.min_score, limit, person_reason),
                            self.search_index.model_id, tuple(notes))

    # -- parts -----------------------------------------------------------------------------------------
    def _check(self, query: SearchQuery) -> int:
        if not (query.text.strip() or query.shot_id or query.keyframe_id or query.image or query.person.strip()):
            raise InvalidInput("the search is empty: give text, an example shot, keyframe or image, or a person")
        for text, what in ((query.text, "a search text"), (query.person, "a person")):
            if len(text) > MAX_QUERY_CHARS:
                raise InvalidInput(f"{what} can have at most {MAX_QUERY_CHARS} characters, not {len(text)}")
        for value, what in ((query.shot_id, "a shot id"), (query.keyframe_id, "a keyframe id")):
            if value:
                check_id(value, what)
        maximum = self.search_index.settings.max_limit
        if query.limit < 0 or query.limit > maximum:
            raise InvalidInput(f"limit {query.limit} is out of range: 1 to {maximum} (0 means {DEFAULT_LIMIT})")
        if not math.isfinite(query.min_score):
            raise InvalidInput(f"min_score must be a number between -1 and 1, not {query.min_score}")
        f = query.filters
        for name, value in (("min_duration_s", f.min_duration_s), ("max_duration_s", f.max_duration_s)):
            if not math.isfinite(value) or value < 0:
                raise InvalidInput(f"{name} must be a duration in seconds (0 for no bound), not {value}")
        if f.min_duration_s and f.max_duration_s and f.min_duration_s > f.max_duration_s:
            raise InvalidInput(f"min_duration_s {f.min_duration_s} is above max_duration_s {f.max_duration_s}")
        return query.limit or DEFAULT_LIMIT

    def _person(self, view: ProjectView, person: str) -> tuple[frozenset[str] | None, tuple[str, ...]]:
        """The character ids a person part names, and the reason their hits carry."""
        person = person.strip()
        if not person:
            return None, ()
        characters = view.characters
        if person.startswith("@"):
            name = person[1:].strip().lower()
            ids = frozenset(cid for cid in characters.characters if characters.name(cid).lower() == name)
            if not ids:
                raise NotFound(f"nobody is called {person[1:]!r}; `binsight clusters` lists the people")
        elif person in characters.characters:
            ids = frozenset({person})
        else:
            raise NotFound(f"no person with id {person!r} (give a character id, or @name)")
        return ids, tuple(f"person: {characters.name(c)}" for c in sorted(ids))

    def _row_filter(self, view: ProjectView, query: SearchQuery, people: frozenset[str] | None) -> RowFilter:
        f = query.filters
        catalog, index, characters = view.catalog, view.index, view.characters
        unknown = [m for m in f.media_ids if m not in catalog.entries]
        if unknown:
            raise NotFound(f"no media file with id {unknown[0]!r}")
        shots: set[str] | None = None
        if f.cluster_ids:
            shots = set()
            for cid in f.cluster_ids:
                bin_id = NOISE if cid is None else self.index.resolve(cid)  # NotFound for an unknown bin
                shots |= set(index.members.get(bin_id, ()))
        for pid in f.person_ids:
            if pid not in characters.characters:
                raise NotFound(f"no person with id {pid!r}")
            on_screen = set(characters.character_shots.get(pid, ()))
            shots = on_screen if shots is None else shots & on_screen
        if people is not None:
            theirs = {s for c in people for s in characters.character_shots.get(c, ())}
            shots = theirs if shots is None else shots & theirs
        exclude = set()
        if query.shot_id:
            exclude.add(query.shot_id)
        if query.keyframe_id and query.keyframe_id in catalog.keyframes:
            exclude.add(catalog.keyframes[query.keyframe_id].shot_id)
        return RowFilter(media_ids=frozenset(f.media_ids), shot_ids=None if shots is None else frozenset(shots),
                         exclude_shots=frozenset(exclude), faces_only=f.faces_only,
                         min_duration_s=f.min_duration_s, max_duration_s=f.max_duration_s,
                         frame_rates=frozenset(f.frame_rates), shot_after=_bound(f.shot_after, "shot_after", False),
                         shot_before=_bound(f.shot_before, "shot_before", True), reels=frozenset(f.reels))

    def _query_vector(self, view: ProjectView, query: SearchQuery,
                      notes: list[str]) -> tuple[np.ndarray | None, tuple[str, ...]]:
        parts: list[np.ndarray] = []
        reasons: list[str] = []
        if query.shot_id:
            if not view.placed(query.shot_id):
                raise NotFound(f"no shot with id {query.shot_id!r}")
            parts.append(normalized(self.index.shot_vector(query.shot_id, adapted=False)))
        if query.keyframe_id:
            if query.keyframe_id not in view.catalog.keyframes:
                raise NotFound(f"no keyframe with id {query.keyframe_id!r}")
            vector = self.search_index.keyframe_vector(query.keyframe_id)
            if vector is None:
                raise Conflict(f"keyframe {query.keyframe_id!r} was embedded by another scene model; run "
                               f"`binsight reembed` to search with {self.search_index.model_id}")
            parts.append(normalized(vector))
        if query.image:
            parts.append(normalized(self.models.scene.embed_images([_decode(query.image)])))
        if parts:
            reasons.append("picture")
        if query.text.strip():
            embedder = self.models.scene
            if embedder.supports_text:
                parts.append(normalized(embedder.embed_texts([query.text])))
                reasons.append("text")
            else:
                notes.append(TEXT_NEEDS_CLIP)
        if not parts:
            return None, ()
        return normalized(np.stack(parts)), tuple(reasons)

    def _word_index(self, view: ProjectView) -> _WordIndex:
        """The words of every shot, rebuilt when any snapshot they come from changed."""
        key = (id(view.catalog), view.index.version, id(view.characters), id(view.slates))
        with self._words_lock:
            if self._words is None or self._words[0] != key:
                self._words = (key, _WordIndex(view))
            return self._words[1]

    def _hits(self, view: ProjectView, found: dict[str, _Found], min_score: float, limit: int,
              person_reason: tuple[str, ...]) -> tuple[SearchHit, ...]:
        cut = _wire(min_score)  # compared as the caller sees scores: a hit's score as cut-off keeps it
        kept = [(sid, replace(f, score=_wire(f.score))) for sid, f in found.items() if view.placed(sid)]
        kept = [(sid, f) for sid, f in kept if f.score >= cut]
        order = {s.shot_id: n for n, s in enumerate(view.catalog.in_order(sid for sid, _ in kept))}
        kept.sort(key=lambda item: (-item[1].score, order[item[0]]))
        hits = []
        for sid, f in kept[:limit]:
            shot = view.shot(view.catalog.shots[sid])
            keyframe = f.keyframe_id or (shot.keyframes[0].keyframe_id if shot.keyframes else "")
            hits.append(SearchHit(shot, f.score, keyframe, f.matched + person_reason))
        return tuple(hits)


def _wire(score: float) -> float:
    """A score as the API carries it (a 32-bit float, six decimals)."""
    return float(np.float32(round(float(score), 6)))


def _restricted(row_filter: RowFilter, shots: Iterable[str]) -> RowFilter:
    """The filter, narrowed to these shots (word matches must pass the filters too)."""
    ids = frozenset(shots)
    return replace(row_filter, shot_ids=ids if row_filter.shot_ids is None else row_filter.shot_ids & ids)


def _decode(data: bytes) -> np.ndarray:
    if not data.startswith(_IMAGE_MAGIC):
        raise InvalidInput("the image is not a JPEG or PNG file")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise InvalidInput("the image could not be decoded (a damaged or truncated JPEG or PNG)")
    return image


def _bound(value: str, name: str, end_of_day: bool) -> str:
    """An ISO 8601 date or date-time as the search table compares it (UTC, to the second); a
    date alone as a before-bound includes that whole day."""
    value = value.strip()
    if not value:
        return ""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not an ISO 8601 date (2026-11-30 or 2026-11-30T14:00:00)") from None
    text = shoot_date(when.isoformat())
    if end_of_day and len(value) == 10:
        text = text[:10] + "T23:59:59"
    return text
