"""One file to share: artifacts, models or a run folder as a checked zip (``emotion bundle``), and the
``--artifacts`` / ``--models`` resolver that accepts such a zip or an ``https://`` link to one.

- `content`: the kinds of folder and the allow-list of file types (no pickle, no code),
- `pack.write_bundle`: folder -> zip with ``bundle.json`` (sizes, sha256),
- `unpack.unpack_bundle`: the checks before anything is unpacked, then an all-or-nothing unpack,
- `download.download`: resumable ``https://`` download (Google Drive share links included),
- `resolve.resolve_folder`: folder, zip or URL -> a folder, through the cache (``$EMOTION_CACHE``).

Ground layer: it borrows only `errors` and `files`, so `features.load_artifacts` and
`EmotionClassifier.load` can both accept a bundle. Nothing is imported here, so the command line
reaches `content.KINDS` without loading numpy or urllib.
"""
