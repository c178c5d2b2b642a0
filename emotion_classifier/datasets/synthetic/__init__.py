"""The synthetic KEMDy19/KEMDy20 corpus generator (the embedded default of the toolkit).

``generate_corpus(out, corpus="kemdy19"|"kemdy20", sessions=None, seed=0)`` writes a corpus in the exact
raw layout of ``/work/shared/KEMDY_FORMAT.md``, quirks included, and returns a `SyntheticCorpus` whose
``truth`` (one row per segment and view) and ``bio_truth`` (one row per bio file and segment id) say
what a correct reader must find. Voices (source-filter synthesis), sentences (word banks) and body
signals (EDA, skin temperature, heart rate) are driven by a latent emotion per segment and view, each
modality with its own noise, so that each carries the emotion partly and combining them helps.

Choices the specification leaves open, made here and relied on by the tests:

- KEMDy20 session 17: ``Sess17_eval.csv`` writes its ids as ``Sess42_...``, but the wav, txt and bio
  files, and the ids inside the bio files, use ``Sess17`` (the canonical id of the segment table).
- KEMDy19 EDA/TEMP gaps (a dialogue without them, the ``Sess09_script06_F001``-like gap) are missing
  lines; KEMDy20 EDA/TEMP stay continuous at 4 Hz and an uncovered segment's lines lack the id.
- KEMDy19 annotation EDA/TEMP cells are the owner's file values at the 4 Hz sample nearest to the
  segment's start and end (blank for the dialogue without EDA/TEMP and in about 1% of rows).
- KEMDy20 bio files carry both speakers' ids, like KEMDy19's, and the E4 header start time equals
  the first EDA/TEMP sample's timestamp; IBI offsets count from that same start.
- A corpus root holds ``synthetic_corpus.json`` (settings and planted quirks), which marks a folder
  that a later call may replace.
"""

from emotion_classifier.datasets.synthetic.corpus import SyntheticCorpus, generate_corpus

__all__ = ["SyntheticCorpus", "generate_corpus"]
