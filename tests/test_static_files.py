"""Static files as production serves them: collected under hashed names, compressed (brotli and
gzip) beside the originals, and cached by browsers for good since a new version gets a new name."""

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from whitenoise.middleware import WhiteNoiseMiddleware

PRODUCTION_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
PLOTLY = "vendor/plotly-basic-4.1.1.min.js"
MAX_PLOTLY_BYTES = 1_500_000

# One worker runs the module, so `collected` (about ten seconds: brotli over the chart bundle) runs once.
pytestmark = pytest.mark.xdist_group("static_files")


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """`collectstatic` once for the module, into a folder of its own, with the production storage
    (Django's admin files left out: compressing them is most of the time and they are not ours)."""
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(
        STATIC_ROOT=root,
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": PRODUCTION_STORAGE},
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
