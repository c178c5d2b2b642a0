"""``emotion serve``: the saved models behind a small HTTP service and one web page (the `[serve]` extra).

`uploads` streams a multipart request into a per-request temporary folder under a byte cap; `app` is the
FastAPI application (``POST /predict``, ``GET /health``, ``GET /``) and the server start-up. Nothing here
is imported by the rest of the package, so FastAPI stays optional.
"""
