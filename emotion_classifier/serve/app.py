"""The HTTP service of ``emotion serve``: ``POST /predict``, ``GET /health`` and the page at ``GET /``.

The models are loaded once (and warmed with one prediction, so the first visitor does not wait for
Keras to build its graphs); each request's files live in its own temporary folder, removed when the
answer is sent. Predictions run in a worker thread (Keras blocks), ``limits.workers`` at a time, with
at most ``limits.queue`` more requests waiting; beyond that the service answers 503 at once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import tempfile
import time
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import soundfile as sf
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from emotion_classifier.errors import InputError
from emotion_classifier.predict import EmotionClassifier
from emotion_classifier.serve.uploads import Upload, UploadError, save_multipart

log = logging.getLogger("emotion_classifier.serve")

WARM_UP_TEXT = "안녕하세요, 오늘 기분이 좋아요."
LOOPBACK_NAMES: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
"""The Host names a loopback-only service answers: a page on another site that a DNS-rebinding trick points
at 127.0.0.1 sends its own name, and is refused."""


@dataclass(frozen=True)
class ServeLimits:
    """What one request may cost. ``max_mb``: the whole request body; ``max_seconds``: the wav's duration;
    ``workers``: predictions at once (Keras already uses every core for one); ``queue``: requests allowed to
    wait for a worker before the service answers 503; ``tmp_root``: where the per-request folders go
    (None: the system's temporary folder)."""

    max_mb: float = 20.0
    max_seconds: float = 60.0
    workers: int = 1
    queue: int = 8
    tmp_root: str | None = None

    def __post_init__(self) -> None:
        if not (self.max_mb > 0 and self.max_seconds > 0 and self.workers >= 1 and self.queue >= 0):
            raise InputError(f"serve limits must be positive (got {self})")

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * 2**20)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _check_audio(upload: Upload, max_seconds: float) -> None:
    """415 for a wav field that is no audio file soundfile can read, 422 for one longer than ``max_seconds``."""
    path = upload.files.get("wav")
    if path is None:
        return
    name = upload.names.get("wav") or "wav"
    try:
        info = sf.info(str(path))
    except Exception:  # soundfile raises its own LibsndfileError/RuntimeError/TypeError by format
        raise UploadError(415, f"{name}: not an audio file this service can read (send a WAV file)") from None
    seconds = info.frames / info.samplerate if info.samplerate else math.inf
    if seconds > max_seconds:
        raise UploadError(422, f"{name}: {seconds:.1f} s of audio, longer than the {max_seconds:g} s this service "
                               "takes")


def _predict(classifier: EmotionClassifier, upload: Upload, max_seconds: float) -> dict:
    """The blocking part of a request (run in a worker thread): audio checks, then the prediction."""
    _check_audio(upload, max_seconds)
    text = upload.text.get("text", "").strip() or None
    if text is None and not upload.files:
        raise UploadError(422, "nothing to predict from: send a wav, a transcript (text) or body-signal files")
    given = {name: str(path) for name, path in upload.files.items()}
    try:
        return classifier.predict(**given, text=text, segment_id=upload.text.get("segment_id") or None)
    except InputError as exc:
        raise UploadError(422, upload.public_message(str(exc))) from None


def _json_safe(value):
    """``value`` with NaN/inf floats as None (JSON has no NaN; a browser's JSON.parse refuses it)."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def describe(classifier: EmotionClassifier) -> dict:
    """What ``GET /health`` says about the loaded models."""
    models = [*classifier.models, *([classifier.joint] if classifier.joint else [])]
    return {"models": models, "modalities": list(classifier.modalities), "method": classifier.method,
            "note": classifier.note}  # fmt: skip


def warm_up(classifier: EmotionClassifier) -> float | None:
    """One prediction on two generated seconds of audio and a Korean sentence (Keras builds its graphs on the
    first call); its time in seconds, or None when the loaded models can use neither (bio only)."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="emotion-serve-warmup-") as folder:
        wav = Path(folder) / "warmup.wav"
        t = np.arange(16000 * 2) / 16000
        sf.write(wav, (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000, subtype="PCM_16")
        try:
            classifier.predict(wav=str(wav), text=WARM_UP_TEXT)
        except InputError:
            return None
    return time.perf_counter() - start


def _host_name(header: str) -> str:
    """The name of a Host header without its port (``[::1]:8000`` -> ``::1``)."""
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def create_app(classifier: EmotionClassifier, limits: ServeLimits | None = None,
               allowed_hosts: tuple[str, ...] | None = None) -> FastAPI:  # fmt: skip
    """The FastAPI application serving ``classifier`` under ``limits`` (loaded and warmed by the caller).

    ``allowed_hosts``: the Host names answered (others get 400); None answers any (a service on the network).
    """
    limits = limits or ServeLimits()
    app = FastAPI(title="emotion_classifier", docs_url=None, redoc_url=None, openapi_url=None)

    if allowed_hosts is not None:

        @app.middleware("http")
        async def check_host(request: Request, call_next):
            if _host_name(request.headers.get("host", "")).lower() not in allowed_hosts:
                return _error(400, f"unexpected Host header (this service answers {', '.join(allowed_hosts)})")
            return await call_next(request)

    workers = asyncio.Semaphore(limits.workers)
    admitted = {"n": 0}
    page = resources.files("emotion_classifier.serve").joinpath("static/index.html").read_text(encoding="utf-8")

    @app.get("/", response_class=HTMLResponse)
    async def index() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", **describe(classifier), "limits": asdict(limits) | {"tmp_root": None},
                "busy": admitted["n"]}  # fmt: skip

    @app.post("/predict")
    async def predict(request: Request) -> JSONResponse:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limits.max_bytes:
            return _error(413, f"request larger than {limits.max_mb:g} MB")
        if admitted["n"] >= limits.workers + limits.queue:
            return JSONResponse({"error": "the service is busy; try again in a few seconds"}, status_code=503,
                                headers={"Retry-After": "5"})  # fmt: skip
        admitted["n"] += 1
        try:
            with tempfile.TemporaryDirectory(prefix="emotion-serve-", dir=limits.tmp_root) as folder:
                upload = await save_multipart(request.stream(), request.headers.get("content-type", ""),
                                              Path(folder), limits.max_bytes)  # fmt: skip
                async with workers:
                    result = await run_in_threadpool(_predict, classifier, upload, limits.max_seconds)
            return JSONResponse(_json_safe(result))
        except UploadError as exc:
            return _error(exc.status, str(exc))
        except ClientDisconnect:  # the client left mid-upload: nobody to answer, nothing to log
            return _error(400, "client disconnected")
        except Exception:
            log.exception("prediction failed")
            return _error(500, "internal error while predicting (see the server's log)")
        finally:
            admitted["n"] -= 1

    return app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free one), or one `InputError` line saying why not."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except (OSError, OverflowError) as exc:  # OverflowError: a port outside 0-65535
        raise InputError(f"cannot listen on {host}:{port} ({getattr(exc, 'strerror', None) or exc})") from None
    sock.set_inheritable(True)
    return sock


def server(app: FastAPI, log_level: str = "info"):
    """A uvicorn server for ``app`` (``.run(sockets=[bind(...)])``; ``should_exit = True`` stops it)."""
    import uvicorn

    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, timeout_graceful_shutdown=5))
