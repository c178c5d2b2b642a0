"""Bundles from a link: a loopback HTTP server stands for Drive (full, resumed, cached, tampered, web page)."""

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from emotion_classifier.bundles.content import BUNDLE_FILE
from emotion_classifier.bundles.download import confirm_url, direct_url, download
from emotion_classifier.bundles.pack import file_sha256, write_bundle
from emotion_classifier.bundles.resolve import resolve_folder
from emotion_classifier.cli import _bundle_run_config, main
from emotion_classifier.errors import InputError
from emotion_classifier.run_config import PipelineConfig


@pytest.fixture
def bundle(make_folder, tmp_path):
    """(folder, zip bytes) of a small artifacts bundle."""
    folder = make_folder("artifacts")
    write_bundle(folder, "artifacts", tmp_path / "a.zip", progress=False)
    return folder, (tmp_path / "a.zip").read_bytes()


def test_a_link_is_downloaded_unpacked_once_and_then_read_from_the_cache(bundle, server, cache, tree_equal):
    folder, data = bundle
    server.files["/share/a.zip"] = data
    unpacked = resolve_folder(server.url("/share/a.zip"), "artifacts", progress=False)
    assert tree_equal(folder, unpacked) and unpacked.is_relative_to(cache / "bundles")
    assert server.requests == [("/share/a.zip", None)]
    assert not list((cache / "downloads").iterdir())  # the zip is removed once unpacked
    assert resolve_folder(server.url("/share/a.zip"), "artifacts", progress=False) == unpacked
    assert len(server.requests) == 1  # the second use asked the server nothing
    # A settings file's path field makes `https:/host/...` of a link; `emotion run` resolves it too.
    config = _bundle_run_config(PipelineConfig(artifacts=Path(server.url("/share/a.zip"))), quiet=True)
    assert config.artifacts == unpacked and len(server.requests) == 1
    with pytest.raises(InputError, match="can only be read"):
        _bundle_run_config(PipelineConfig(models_dir=Path(server.url("/m.zip"))), quiet=True)


def test_a_dropped_connection_resumes_with_range(bundle, server, tree_equal):
    folder, data = bundle
    server.files["/a.zip"] = data
    server.cut["/a.zip"] = len(data) // 3
    unpacked = resolve_folder(server.url("/a.zip"), "artifacts", progress=False)
    assert tree_equal(folder, unpacked)
    assert server.requests == [("/a.zip", None), ("/a.zip", f"bytes={len(data) // 3}-")]


def test_an_interrupted_download_is_kept_and_resumed_by_the_next_run(bundle, server, tmp_path):
    _, data = bundle
    server.files["/a.zip"] = data
    server.cut["/a.zip"] = 1000
    destination = tmp_path / "dl" / "a.zip"
    with pytest.raises(InputError, match="1000 bytes kept in .*a.zip.part, run the same command again to resume"):
        download(server.url("/a.zip"), destination, progress=False, retries=0)
    assert (tmp_path / "dl" / "a.zip.part").stat().st_size == 1000 and not destination.exists()
    download(server.url("/a.zip"), destination, progress=False, retries=0)
    assert destination.read_bytes() == data and not (tmp_path / "dl" / "a.zip.part").exists()
    assert server.requests[-1] == ("/a.zip", "bytes=1000-")


def test_a_tampered_download_is_refused_and_not_kept(bundle, server, cache, capsys):
    _, data = bundle
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read(BUNDLE_FILE))
        members = {name: archive.read(name) for name in archive.namelist() if name != BUNDLE_FILE}
    manifest["files"][0]["sha256"] = hashlib.sha256(b"something else").hexdigest()
    out = cache.parent / "tampered.zip"
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        archive.writestr(BUNDLE_FILE, json.dumps(manifest))
    server.files["/t.zip"] = out.read_bytes()
    url = server.url("/t.zip")
    assert main(["train", "--artifacts", url, "--modality", "text", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {url}: refused bundle: ") and "sha256" in err[0]
    assert not list((cache / "bundles").iterdir()) and not list((cache / "downloads").iterdir())


def test_missing_file_web_page_and_confirm_page(bundle, server, tmp_path):
    _, data = bundle
    with pytest.raises(InputError, match="HTTP 404"):
        download(server.url("/gone.zip"), tmp_path / "x.zip", progress=False)
    server.pages["/login"] = "<html><body>Sign in</body></html>"
    with pytest.raises(InputError, match="a web page, not a bundle"):
        download(server.url("/login"), tmp_path / "x.zip", progress=False)
    # Drive's "cannot scan for viruses" page: a form whose hidden fields make the real download address.
    server.files["/download"] = data
    server.pages["/big"] = ('<html><form id="download-form" action="/download" method="get">'
                            '<input type="hidden" name="id" value="ABC"><input type="hidden" name="confirm" value="t">'
                            '<input type="submit" value="Download anyway"></form></html>')
    download(server.url("/big"), tmp_path / "x.zip", progress=False)
    assert (tmp_path / "x.zip").read_bytes() == data
    assert server.requests[-1][0] == "/download?id=ABC&confirm=t"


def test_drive_share_links_become_direct_downloads():
    direct = "https://drive.usercontent.google.com/download?id=1AbC_d-9&export=download&confirm=t"
    for link in ("https://drive.google.com/file/d/1AbC_d-9/view?usp=sharing",
                 "https://drive.google.com/file/d/1AbC_d-9/view?usp=drive_link",
                 "https://drive.google.com/open?id=1AbC_d-9",
                 "https://drive.google.com/uc?id=1AbC_d-9&export=download"):
        assert direct_url(link) == direct
    assert direct_url("https://example.org/a.zip") == "https://example.org/a.zip"
    with pytest.raises(InputError, match="a Drive folder link"):
        direct_url("https://drive.google.com/drive/folders/XYZ?usp=sharing")
    page = '<form id="download-form" action="https://drive.usercontent.google.com/download"><input name="id" value="X">'
    assert confirm_url(page, "https://drive.google.com/x") == "https://drive.usercontent.google.com/download?id=X"
    assert confirm_url("<p>no form</p>", "https://x") is None


def test_a_link_can_pin_the_bundle_s_sha256(bundle, server, cache, tmp_path):
    folder, data = bundle
    server.files["/a.zip"] = data
    digest = hashlib.sha256(data).hexdigest()
    assert file_sha256(tmp_path / "a.zip") == digest
    with pytest.raises(InputError, match=f"its sha256 is {digest}, the link pins {'0' * 64}"):
        resolve_folder(server.url(f"/a.zip#sha256={'0' * 64}"), "artifacts", progress=False)
    assert not [path for path in cache.rglob("*") if path.is_file()]  # the refused download is gone
    unpacked = resolve_folder(server.url(f"/a.zip#sha256={digest.upper()}"), "artifacts", progress=False)
    assert unpacked.parent.name.startswith("a-") and (unpacked / "manifest.json").is_file()
    assert [path for path, _ in server.requests] == ["/a.zip", "/a.zip"]  # the fragment is never sent
    with pytest.raises(InputError, match="unknown #fragment"):
        resolve_folder(server.url("/a.zip#page=2"), "artifacts", progress=False)
    (tmp_path / "folder.zip").mkdir()  # a folder whose name ends in .zip is a folder
    assert resolve_folder(tmp_path / "folder.zip", "artifacts") == tmp_path / "folder.zip"
