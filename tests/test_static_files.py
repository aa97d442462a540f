"""Static files as production serves them: collected under hashed names, compressed (brotli and
gzip) beside the originals, and cached by browsers for good since a new version gets a new name."""

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import ClassVar

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from whitenoise.compress import Compressor
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.storage import CompressedManifestStaticFilesStorage

PRODUCTION_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
PLOTLY = "vendor/plotly-basic-4.1.1.min.js"
MAX_PLOTLY_BYTES = 1_500_000

# One worker runs the module, so `collected` (about ten seconds: brotli over the chart bundle) runs once.
pytestmark = pytest.mark.xdist_group("static_files")


class CompressingOnceCompressor(Compressor):
    """WhiteNoise's compressor (brotli at its quality 11, gzip at 9, same bytes), except that the
    same content is compressed once. The production storage compresses each file twice, under its
    original name and under its hashed name (WHITENOISE_KEEP_ONLY_HASHED_FILES is off), and both
    have the same bytes: for the 1.2 MB chart bundle that is two brotli runs of about two CPU
    seconds each, most of this module's time. The second copy is the first one's output, so every
    file on disk is byte for byte what production writes, and the bundle's .br size checked below
    is the size of the quality-11 file browsers download (a lower quality only for the test would
    check a file nobody serves)."""

    _lock = threading.Lock()
    _done: ClassVar[dict[tuple[str, bytes], Future[bytes]]] = {}

    @classmethod
    def _once(cls, kind: str, data: bytes, compress: Callable[[bytes], bytes]) -> bytes:
        # Both copies are submitted to WhiteNoise's thread pool at once: the second waits for the first.
        key = (kind, hashlib.sha256(data).digest())
        with cls._lock:
            result = cls._done.get(key)
            first = result is None
            if result is None:
                result = cls._done[key] = Future()
        if first:
            try:
                result.set_result(compress(data))
            except BaseException as error:
                result.set_exception(error)
        return result.result()

    def compress_brotli(self, data: bytes) -> bytes:
        return self._once("br", data, Compressor.compress_brotli)

    def compress_gzip(self, data: bytes) -> bytes:
        return self._once("gz", data, Compressor.compress_gzip)


class ProductionStorageCompressingOnce(CompressedManifestStaticFilesStorage):
    """The production storage (PRODUCTION_STORAGE), with the compressor above."""

    def create_compressor(self, **kwargs):
        return CompressingOnceCompressor(**kwargs)


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """`collectstatic` once for the module, into a folder of its own, with the production storage
    (Django's admin files left out: compressing them is most of the time and they are not ours)."""
    base = ProductionStorageCompressingOnce.__mro__[1]
    assert f"{base.__module__}.{base.__qualname__}" == PRODUCTION_STORAGE
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(
        STATIC_ROOT=root,
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": f"{__name__}.{ProductionStorageCompressingOnce.__name__}"},
        },
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
    ):
        call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=["admin"])
        yield root


def serve(path: str, accept_encoding: str):
    middleware = WhiteNoiseMiddleware(lambda request: pytest.fail(f"{path} was not a static file"))
    return middleware(RequestFactory().get(path, HTTP_ACCEPT_ENCODING=accept_encoding))


def test_every_file_gets_a_hashed_name_and_compressed_copies(collected):
    for name in ("css/app.css", "js/app.js", "vendor/htmx-2.0.11.min.js", PLOTLY):
        hashed = staticfiles_storage.stored_name(name)
        assert hashed != name
        assert staticfiles_storage.url(name) == f"/static/{hashed}"
        original = (collected / hashed).stat().st_size
        assert (collected / f"{hashed}.br").stat().st_size < original
        assert (collected / f"{hashed}.gz").stat().st_size < original


def test_the_chart_bundle_stays_small(collected):
    hashed = staticfiles_storage.stored_name(PLOTLY)
    assert (collected / hashed).stat().st_size <= MAX_PLOTLY_BYTES
    # What a browser downloads: well under half a megabyte.
    assert (collected / f"{hashed}.br").stat().st_size < 500_000


def test_hashed_files_are_served_compressed_and_cached_for_good(collected):
    url = staticfiles_storage.url(PLOTLY)
    response = serve(url, "gzip, deflate, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "br"
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]
    assert response["Vary"] == "Accept-Encoding"

    assert serve(url, "gzip")["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in serve(url, "")
