"""``emotion serve``: the JSON API over a real HTTP connection on 127.0.0.1, its refusals, and the page in
headless Chromium with a screenshot of a result.

One tiny text + speech model pair is trained on a generated corpus for the module, and one real uvicorn
server runs it in a thread on a free loopback port (small caps: 1 MB requests, 5 s of audio, uploads in a
folder of the test's own so that "nothing left behind" can be checked).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import numpy as np
import pytest
import soundfile as sf

from emotion_classifier.cli import main
from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.features import PrepareConfig, load_artifacts, prepare
from emotion_classifier.labels import EMOTIONS
from emotion_classifier.predict import EmotionClassifier
from emotion_classifier.serve.app import LOOPBACK_NAMES, ServeLimits, bind, create_app, server, warm_up
from emotion_classifier.training.estimators import TrainConfig, make_model, modality_inputs

TRANSCRIPT = "오늘 정말 기분이 좋아요. 친구를 만나서 너무 반가웠어요."
CHROMIUM = "/usr/bin/chromium"
ANSWERED = "document.querySelector('#bars .bar') || document.getElementById('error').textContent"
"""The page shows a result or an error (the test then says which)."""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    """A models folder holding a tiny text and speech model (no fusion.json: the soft vote)."""
    root = tmp_path_factory.mktemp("serve_models")
    generate_corpus(root / "corpus", corpus="kemdy19", sessions=3, seed=3, dialogues_per_session=2,
                    segments_per_dialogue=(6, 8))  # fmt: skip
    prepare(root / "corpus", root / "artifacts", PrepareConfig(jobs=1), progress=False)
    artifacts = load_artifacts(root / "artifacts")
    config = TrainConfig(epochs=1, units=4, filters=4, embedding_dim=4, hidden_units=(8,), vocab_min_count=1)
    sessions = artifacts.table["session"].to_numpy()
    for modality in ("text", "speech"):
        model = make_model(modality, config)
        model.fit(modality_inputs(artifacts, modality), np.flatnonzero(sessions < 3), np.flatnonzero(sessions == 3))
        model.save(root / "models", modality)
    shutil.rmtree(root / "corpus")
    return root / "models"


def _start(app) -> tuple[str, object, threading.Thread]:
    sock = bind("127.0.0.1", 0)
    running = server(app, log_level="warning")
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", running, thread


def _stop(running, thread) -> None:
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def service(models, tmp_path_factory):
    """The real server on a free loopback port: ``url``, ``uploads`` (its temporary root), ``classifier``."""
    uploads = tmp_path_factory.mktemp("uploads")
    classifier = EmotionClassifier.load(models)
    assert warm_up(classifier) is not None
    app = create_app(classifier, ServeLimits(max_mb=1, max_seconds=5, tmp_root=str(uploads)), LOOPBACK_NAMES)
    url, running, thread = _start(app)
    yield SimpleNamespace(url=url, uploads=uploads, classifier=classifier)
    _stop(running, thread)


def _wav(path: Path, seconds: float, rate: int = 16000) -> Path:
    """A voiced-sounding clip: a 150 Hz tone with harmonics and a syllable-like envelope."""
    t = np.arange(int(seconds * rate)) / rate
    voice = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 6)) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    sf.write(path, (0.2 * voice).astype(np.float32), rate, subtype="PCM_16")
    return path


def _post(url: str, files: dict | None = None, data: dict | None = None, **kwargs) -> httpx.Response:
    return httpx.post(f"{url}/predict", files=files, data=data, timeout=60, **kwargs)


def test_health_and_page(service):
    health = httpx.get(f"{service.url}/health", timeout=10).json()
    assert health["status"] == "ok"
    assert health["models"] == ["text", "speech"] and health["modalities"] == ["text", "speech"]
    assert health["method"] == "soft_vote"
    for host in ("localhost:8000", "[::1]:8000"):
        assert httpx.get(f"{service.url}/health", headers={"host": host}, timeout=10).status_code == 200
    rebound = httpx.get(f"{service.url}/", headers={"host": "attacker.example:8000"}, timeout=10)
    assert rebound.status_code == 400 and "Host" in rebound.json()["error"]
    page = httpx.get(f"{service.url}/", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "감정" in page.text and 'id="predict"' in page.text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|@import|fetch\(["']https?:""", page.text)  # offline


def test_predict_over_http_equals_the_classifier_and_leaves_nothing(service, tmp_path):
    wav = _wav(tmp_path / "clip.wav", 2.0)
    with wav.open("rb") as handle:
        answer = _post(service.url, files={"wav": ("clip.wav", handle, "audio/wav")}, data={"text": TRANSCRIPT})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert {"emotion", "probabilities", "valence", "arousal", "modalities", "skipped", "method", "note"} <= set(result)
    assert list(result["probabilities"]) == list(EMOTIONS)
    assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert result["emotion"] == max(result["probabilities"], key=result["probabilities"].get)
    assert result["modalities"] == ["text", "speech"] and result["method"] == "soft_vote"
    assert 1 <= result["valence"] <= 5 and 1 <= result["arousal"] <= 5
    direct = service.classifier.predict(wav=str(wav), text=TRANSCRIPT)
    assert result["probabilities"] == pytest.approx(direct["probabilities"], abs=1e-6)

    text_only = _post(service.url, data={"text": TRANSCRIPT}).json()
    assert text_only["modalities"] == ["text"] and "speech" in text_only["skipped"]
    raw = httpx.post(f"{service.url}/predict", content=f"text={TRANSCRIPT}".encode(), timeout=60,
                     headers={"content-type": "application/x-www-form-urlencoded"})  # `curl -d text=...`: raw UTF-8
    assert raw.json()["probabilities"] == pytest.approx(text_only["probabilities"], abs=1e-6)
    assert list(service.uploads.iterdir()) == []


def test_bad_uploads_get_a_clear_4xx_and_leave_nothing(service, tmp_path):
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("이것은 음성이 아닙니다\n" * 50, encoding="utf-8")
    long_clip = _wav(tmp_path / "long.wav", 6.0)
    long_wav = ("long.wav", long_clip.read_bytes(), "audio/wav")
    tiny = _wav(tmp_path / "tiny.wav", 0.001)
    cases = [
        (_post(service.url, files={"wav": ("notes.wav", not_audio.read_bytes(), "audio/wav")}), 415, "notes.wav"),
        (_post(service.url, files={"wav": long_wav}), 422, "longer than the 5 s"),
        (_post(service.url, files={"wav": ("big.wav", b"\0" * (2 * 2**20), "audio/wav")}), 413, "larger than 1 MB"),
        (_post(service.url, data={"text": "  "}), 422, "nothing to predict from"),
        (_post(service.url, data={"mood": "happy"}), 422, "unknown field 'mood'"),
        (httpx.post(f"{service.url}/predict", json={"text": TRANSCRIPT}, timeout=30), 415, "multipart/form-data"),
        # the predictor's InputErrors: named by the upload's name, never by the temporary path
        (_post(service.url, files={"eda": ("eda.csv", b"1,2\n", "text/csv")}), 422, "no usable input"),
        (_post(service.url, files={"wav": ("tiny.wav", tiny.read_bytes(), "audio/wav")}), 422, "tiny.wav: no usable"),
    ]  # fmt: skip
    for answer, status, message in cases:
        assert answer.status_code == status, answer.text
        error = answer.json()["error"]
        assert message in error and "\n" not in error and str(service.uploads) not in error

    def streamed():  # no Content-Length: the cap is enforced while reading
        boundary = b"--x\r\nContent-Disposition: form-data; name=\"wav\"; filename=\"s.wav\"\r\n\r\n"
        yield boundary
        for _ in range(40):
            yield b"\0" * 65536

    answer = httpx.post(f"{service.url}/predict", content=streamed(), timeout=30,
                        headers={"content-type": "multipart/form-data; boundary=x"})  # fmt: skip
    assert answer.status_code == 413 and "larger than 1 MB" in answer.json()["error"]
    assert list(service.uploads.iterdir()) == []


class _SlowClassifier:
    """Stands in for the models: ``predict`` waits until released (to hold the only worker busy)."""

    models, joint, modalities, method, note = {"text": None}, None, ("text",), "soft_vote", ""

    def __init__(self):
        self.release, self.entered = threading.Event(), threading.Event()

    def predict(self, **given) -> dict:
        self.entered.set()
        self.release.wait(20)
        return {"emotion": "neutral", "text": given["text"]}


def test_a_saturated_service_answers_503_at_once(tmp_path):
    slow = _SlowClassifier()
    url, running, thread = _start(create_app(slow, ServeLimits(workers=1, queue=0, tmp_root=str(tmp_path))))
    try:
        first = {}
        worker = threading.Thread(target=lambda: first.update(answer=_post(url, data={"text": "하나"})))
        worker.start()
        assert slow.entered.wait(20)
        start = time.monotonic()
        busy = _post(url, data={"text": "둘"})
        assert busy.status_code == 503 and "busy" in busy.json()["error"] and time.monotonic() - start < 5
        slow.release.set()
        worker.join(20)
        assert first["answer"].status_code == 200 and first["answer"].json()["text"] == "하나"
    finally:
        slow.release.set()
        _stop(running, thread)
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_a_bad_models_folder_in_one_line(tmp_path, capsys):
    assert main(["serve", "--models", str(tmp_path / "nowhere"), "--port", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "models folder not found" in err[0]
    assert main(["serve", "--models", str(tmp_path), "--port", "0", "--max-mb", "0"]) == 2
    assert "serve limits" in capsys.readouterr().err
    assert main(["serve", "--models", str(tmp_path), "--port", "70000"]) == 2
    assert "cannot listen on 127.0.0.1:70000" in capsys.readouterr().err


def test_cli_without_the_serve_extra_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    """Without FastAPI (the [serve] extra) `emotion serve` names the missing package and the pip line."""
    import sys

    monkeypatch.delitem(sys.modules, "emotion_classifier.serve.app")
    monkeypatch.setitem(sys.modules, "fastapi", None)  # importing it now fails as if it were not installed
    assert main(["serve", "--models", str(tmp_path), "--port", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: emotion serve needs the [serve] extra (fastapi is missing): "
                   "pip install 'emotion_classifier[serve]'"]


def _chromium(pw, *extra: str):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium fonts-nanum)")
    return pw.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra])


def test_the_page_shows_the_apis_answer_in_chromium(service, tmp_path):
    """Upload a wav, type a Korean transcript, predict: the page shows the API's emotion, bars and a point."""
    from playwright.sync_api import sync_playwright

    wav = _wav(tmp_path / "page_clip.wav", 2.5)
    expected = _post(service.url, files={"wav": ("page_clip.wav", wav.read_bytes(), "audio/wav")},
                     data={"text": TRANSCRIPT}).json()  # fmt: skip
    with sync_playwright() as pw:
        browser = _chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 820})
            page.goto(f"{service.url}/")
            page.wait_for_function("document.getElementById('models').textContent.includes('speech')")
            page.set_input_files("#wav", str(wav))
            page.fill("#text", TRANSCRIPT)
            page.click("#predict")
            page.wait_for_function(ANSWERED, timeout=30000)
            shown = page.get_attribute("#emotion", "data-emotion")
            bars = page.locator("#bars .bar").count()
            point = page.locator("#va-point").count()
            error = page.inner_text("#error")
            shot = page.screenshot(full_page=True)
        finally:
            browser.close()
    (tmp_path / "serve_page.png").write_bytes(shot)
    if os.environ.get("EMOTION_SCREENSHOTS"):
        Path(os.environ["EMOTION_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
        (Path(os.environ["EMOTION_SCREENSHOTS"]) / "serve_page.png").write_bytes(shot)
    assert not error.strip(), error
    assert shown == expected["emotion"] and bars == len(EMOTIONS) and point == 1 and not error.strip()
    assert list(service.uploads.iterdir()) == []


def test_a_microphone_recording_is_sent_as_a_wav(service):
    """Chromium's fake microphone (a beep): MediaRecorder's webm/opus is re-encoded to 16 kHz PCM WAV in the
    page, which the server reads as speech (it refuses webm with 415)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = _chromium(pw, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")
        try:
            page = browser.new_page()
            page.goto(f"{service.url}/")
            page.click("#record")
            page.wait_for_function("document.getElementById('rec-status').textContent.includes('1 s')", timeout=10000)
            page.click("#record")
            page.wait_for_function("document.getElementById('rec-status').textContent.includes('WAV')", timeout=10000)
            page.click("#predict")
            page.wait_for_function(ANSWERED, timeout=30000)
            used, error = page.inner_text("#used"), page.inner_text("#error")
        finally:
            browser.close()
    assert not error.strip(), error
    assert "used): speech" in used
