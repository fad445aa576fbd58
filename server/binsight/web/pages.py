"""The page's views (Scenes, People, Noise, Review, Media, Search) and the fragments the page
swaps in after a change or while scrolling (the bin list, the next page of shots, a merge
preview, a person's faces, the jobs).

Handlers are plain functions: Starlette runs them on its thread pool, where the core's blocking
calls belong. Each reads one ``project.view()`` (or calls a service that does), so what a page
shows is one consistent state.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..app.search import SearchFilters, SearchQuery
from ..app.views import CharacterView, ProjectView
from ..errors import BinsightError, InvalidInput, NotFound
from ..records import FaceRecord
from ..validate import check_id, check_limit, shown
from .context import NOISE_BIN_ID, PAGE_SIZE, WebContext, core_bin
from .grids import Paged, header, shot_page

NOBODY = "nobody"
"""The page's name for the faces no person took (too poor to judge, or turned down everywhere)."""
REVIEW_BATCH = 100
"""Shots one visit of the review queue holds (a reload fetches the next most uncertain ones)."""
SEARCH_HITS = 60
FACE_PAGE = 120


def _number(value: str, name: str, default: float) -> float:
    if not value.strip():
        return default
    try:
        return float(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a number, not {shown(value)}") from None


@dataclass(frozen=True)
class FacePage(Paged):
    person: CharacterView
    faces: tuple[FaceRecord, ...]
    offset: int
    total: int

    def __len__(self) -> int:
        return len(self.faces)


def _offset(request: Request) -> int:
    raw = request.query_params.get("offset", "0")
    if not raw.isdigit():
        raise InvalidInput(f"offset must be a whole number, not {shown(raw)}")
    return int(raw)


def _limit(request: Request, default: int) -> int:
    raw = request.query_params.get("limit", "0")
    if not raw.isdigit():
        raise InvalidInput(f"limit must be a whole number, not {shown(raw)}")
    return check_limit(int(raw), default, "limit", 500)


class Pages:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        self.project = ctx.project

    def routes(self) -> list[Route]:
        return [
            Route("/", self.home), Route("/scenes", self.scenes), Route("/people", self.people),
            Route("/noise", self.noise), Route("/review", self.review), Route("/media", self.media),
            Route("/search", self.search), Route("/healthz", self.healthz),
            Route("/fragments/bins", self.bins_fragment), Route("/fragments/grid", self.grid_fragment),
            Route("/fragments/shots", self.shots_fragment),
            Route("/fragments/merge", self.merge_fragment), Route("/fragments/faces", self.faces_fragment),
            Route("/fragments/jobs", self.jobs_fragment), Route("/fragments/people", self.people_fragment),
            Route("/api/targets", self.move_targets),
        ]

    # -- views ------------------------------------------------------------------------------------
    def home(self, request: Request) -> Response:
        return RedirectResponse("/scenes", status_code=303)

    def healthz(self, request: Request) -> Response:
        return JSONResponse({"ok": True, **self.ctx.versions()})

    def scenes(self, request: Request) -> Response:
        view = self.project.view()
        tree = view.tree(include_shots=False)
        wanted = request.query_params.get("bin") or (tree.clusters[0].cluster_id if tree.clusters else NOISE_BIN_ID)
        return self.ctx.render("scenes.html", request, view_name="scenes", tree=tree,
                               **self._grid(view, check_id(wanted, "a bin id"), request))

    def noise(self, request: Request) -> Response:
        view = self.project.view()
        return self.ctx.render("noise.html", request, view_name="noise", **self._grid(view, NOISE_BIN_ID, request))

    def people(self, request: Request) -> Response:
        view = self.project.view()
        people = view.character_list()
        chosen = request.query_params.get("person") or (people[0].character_id if people else "")
        values: dict = {"people": people, "person": None, "faces": None, "named_ids": self._named(view)}
        values.update(nobody=self._nobody(view), selected=chosen)
        if chosen == NOBODY:
            values.update(person=self._person(view, NOBODY), faces=self._faces(view, NOBODY, 0))
        elif chosen:
            values.update(person=self._person(view, check_id(chosen, "a person id")),
                          faces=self._faces(view, chosen, 0), **self._grid(view, chosen, request))
        return self.ctx.render("people.html", request, view_name="people", **values)

    def review(self, request: Request) -> Response:
        items = self.project.clusters.review_queue(REVIEW_BATCH)
        return self.ctx.render("review.html", request, view_name="review", items=items)

    def media(self, request: Request) -> Response:
        return self.ctx.render("media.html", request, view_name="media", media=self.project.ingest.list_media(),
                               jobs=list(reversed(self.project.ingest.list_jobs())))

    def search(self, request: Request) -> Response:
        """The search box: words (CLIP text with a pack), an example shot, a person, filters by
        file, bin and faces, a cut-off; the hits can become a bin (``/api/create-bin``)."""
        params = request.query_params
        shot_id, text, person = params.get("shot", ""), params.get("q", ""), params.get("person", "")
        media_id, bin_id = params.get("media", ""), params.get("bin", "")
        result, error, example = None, "", None
        try:
            view = self.project.view()
            if shot_id:
                record = view.catalog.shots.get(check_id(shot_id, "a shot id"))
                if record is None:
                    raise NotFound(f"no shot with id {shown(shot_id)}")
                example = view.shot(record)
            if shot_id or text.strip() or person.strip():
                filters = SearchFilters(media_ids=(media_id,) if media_id else (),
                                        cluster_ids=(core_bin(bin_id),) if bin_id else (),
                                        faces_only=params.get("faces") == "1")
                result = self.project.search.search(SearchQuery(
                    text=text, shot_id=shot_id, person=person, filters=filters, limit=SEARCH_HITS,
                    min_score=_number(params.get("min_score", ""), "min_score", -1.0 if shot_id else 0.0)))
        except BinsightError as exc:  # shown on the page, with the search box to try again
            error = str(exc)
        view = self.project.view()
        return self.ctx.render("search.html", request, view_name="search", result=result, error=error, text=text,
                               person=person, example=example, text_search=self.project.models.scene.supports_text,
                               scene_model=self.project.models.scene_model_id,
                               media=sorted(view.catalog.media.values(), key=lambda m: m.path),
                               bins=view.index.live_clusters(), chosen_media=media_id, chosen_bin=bin_id,
                               faces=params.get("faces") == "1", min_score=params.get("min_score", ""))

    # -- fragments --------------------------------------------------------------------------------
    def bins_fragment(self, request: Request) -> Response:
        view = self.project.view()
        return self.ctx.render("_bins.html", request, tree=view.tree(include_shots=False),
                               selected=request.query_params.get("bin", ""))

    def grid_fragment(self, request: Request) -> Response:
        """A bin's header and its first shots (``limit``: as many as the page had loaded)."""
        view = self.project.view()
        bin_id = check_id(request.query_params.get("bin", ""), "a bin id")
        return self.ctx.render("_grid.html", request, mode=request.query_params.get("mode", "bin"),
                               **self._grid(view, bin_id, request))

    def shots_fragment(self, request: Request) -> Response:
        view = self.project.view()
        bin_id = check_id(request.query_params.get("bin", ""), "a bin id")
        page = shot_page(view, self.project.index.resolve, bin_id, _offset(request), _limit(request, PAGE_SIZE))
        return self.ctx.render("_shots.html", request, page=page, mode=request.query_params.get("mode", "bin"))

    def people_fragment(self, request: Request) -> Response:
        view = self.project.view()
        return self.ctx.render("_people.html", request, people=view.character_list(), nobody=self._nobody(view),
                               named_ids=self._named(view), selected=request.query_params.get("person", ""))

    def merge_fragment(self, request: Request) -> Response:
        """Both bins (or both people) side by side, the survivor preselected: a named one, else
        the one dropped onto."""
        target, dropped = (check_id(request.query_params.get(k, ""), "a bin id") for k in ("into", "from"))
        view = self.project.view()
        if request.query_params.get("kind") == "people":
            sides = [self._person(view, target), self._person(view, dropped)]
            named = [bool(view.characters.characters[p.character_id].named) for p in sides]
            thumbs = [self._faces(view, p.character_id, 0, 6).faces for p in sides]
            return self.ctx.render("_merge.html", request, kind="people", sides=sides, named=named, thumbs=thumbs,
                                   survivor=1 if named[1] and not named[0] else 0)
        resolve = self.project.index.resolve
        sides = [header(view, resolve, target), header(view, resolve, dropped)]
        if sides[0].bin_id == sides[1].bin_id:
            raise InvalidInput("a bin cannot be merged with itself")
        if any(not s.correctable for s in sides):
            raise InvalidInput("only scene bins merge (the noise bucket and sub-bins are not bins of their own)")
        thumbs = [shot_page(view, resolve, s.bin_id, 0, 6).shots for s in sides]
        return self.ctx.render("_merge.html", request, kind="scenes", sides=sides, thumbs=thumbs,
                               named=[s.named for s in sides], survivor=1 if sides[1].named and not sides[0].named else 0)

    def faces_fragment(self, request: Request) -> Response:
        view = self.project.view()
        person = check_id(request.query_params.get("person", ""), "a person id")
        return self.ctx.render("_faces.html", request, faces=self._faces(view, person, _offset(request)))

    def jobs_fragment(self, request: Request) -> Response:
        return self.ctx.render("_jobs.html", request, jobs=list(reversed(self.project.ingest.list_jobs())))

    def move_targets(self, request: Request) -> Response:
        """Bins to move a shot to, most similar first: the bins of the shots most like it (by the
        search service), then the rest by name. The move picker filters this list as you type."""
        shot_id = check_id(request.query_params.get("shot", ""), "a shot id")
        view = self.project.view()
        bins = {c.cluster_id: c.display_name for c in view.index.live_clusters()}
        current = view.index.cluster_of(shot_id)
        best: dict[str, float] = {}
        a = view.index.assignments.get(shot_id)
        for c in a.candidates if a else ():
            best[c.cluster_id] = max(best.get(c.cluster_id, -1.0), c.score)
        for hit in self.project.search.similar(shot_id, 300).hits:
            cid = hit.shot.cluster_id
            if cid is not None:
                best[cid] = max(best.get(cid, -1.0), hit.score)
        ranked = sorted(bins, key=lambda cid: (-best.get(cid, -2.0), bins[cid].lower()))
        rows = [{"bin_id": cid, "name": bins[cid], "score": round(best[cid], 3) if cid in best else None,
                 "locked": view.index.clusters[cid].locked} for cid in ranked if cid != current]
        if current is not None:
            rows.append({"bin_id": NOISE_BIN_ID, "name": "Noise", "score": None, "locked": False})
        return JSONResponse({"shot_id": shot_id, "targets": rows})

    # -- helpers ----------------------------------------------------------------------------------
    def _grid(self, view: ProjectView, bin_id: str, request: Request) -> dict:
        resolve = self.project.index.resolve
        head = header(view, resolve, bin_id)
        return {"bin": head, "page": shot_page(view, resolve, head.bin_id, 0, _limit(request, PAGE_SIZE))}

    @staticmethod
    def _nobody(view: ProjectView) -> int:
        """Faces no person took."""
        return sum(1 for f in view.catalog.faces if f not in view.characters.face_character)

    @staticmethod
    def _named(view: ProjectView) -> frozenset[str]:
        return frozenset(cid for cid, row in view.characters.characters.items() if row.named)

    @staticmethod
    def _person(view: ProjectView, character_id: str) -> CharacterView:
        if character_id == NOBODY:
            return CharacterView(NOBODY, "Nobody yet", Pages._nobody(view), 0, "", "")
        person = next((c for c in view.character_list() if c.character_id == character_id), None)
        if person is None:
            raise NotFound(f"no person with id {shown(character_id)}")
        return person

    def _faces(self, view: ProjectView, character_id: str, offset: int, limit: int = FACE_PAGE) -> FacePage:
        person = self._person(view, character_id)
        owner = view.characters.face_character
        ids = [f for f in view.catalog.faces if f not in owner] if character_id == NOBODY else \
            [f for f, c in owner.items() if c == character_id]
        faces = sorted((view.catalog.faces[f] for f in ids if f in view.catalog.faces),
                       key=lambda f: (-f.det_score * f.size_px, f.face_id))
        return FacePage(person, tuple(faces[offset:offset + limit]), offset, len(faces))

