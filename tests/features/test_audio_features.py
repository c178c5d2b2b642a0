import librosa
import numpy as np
import pytest
import soundfile as sf

from emotion_classifier.errors import AudioError
from emotion_classifier.features.audio import (
    AudioSettings,
    feature_names,
    read_audio,
    read_pcm16_mono,
    stft,
    wav_features,
)
from emotion_classifier.features.audio_stage import audio_chunk


@pytest.mark.parametrize("n_samples", [16000, 16000 + 37, 1234])
def test_mfcc_shape_and_values_match_a_direct_librosa_call(tmp_path, tone, n_samples):
    tone(tmp_path / "a.wav", n_samples)
    features, duration, conversions = wav_features(tmp_path / "a.wav", AudioSettings())
    assert features.shape == (1 + n_samples // 160, 40)
    assert features.dtype == np.float32
    assert duration == pytest.approx(n_samples / 16000)
    assert conversions == []
    y, _ = librosa.load(tmp_path / "a.wav", sr=None)
    direct = librosa.feature.mfcc(y=y, sr=16000, n_mfcc=40, n_fft=400, hop_length=160, n_mels=64)
    np.testing.assert_allclose(features, direct.T, rtol=1e-4, atol=1e-3)


def test_log_mel_and_deltas_extend_the_feature_columns(tmp_path, tone):
    tone(tmp_path / "a.wav", 8000)
    settings = AudioSettings(log_mel=True, deltas=True, n_mfcc=13)
    features, _, _ = wav_features(tmp_path / "a.wav", settings)
    names = feature_names(settings)
    assert features.shape == (1 + 8000 // 160, 2 * (13 + 64)) and len(names) == features.shape[1]
    assert names[13] == "logmel_00" and names[77] == "delta_mfcc_00"
    y, _ = librosa.load(tmp_path / "a.wav", sr=None)
    log_mel = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=16000, n_fft=400, hop_length=160, n_mels=64))
    np.testing.assert_allclose(features[:, 13:77], log_mel.T, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(features[:, 77:], librosa.feature.delta(features[:, :77].T, mode="nearest").T,
                               rtol=1e-4, atol=1e-3)


def test_deltas_work_on_segments_shorter_than_the_delta_window(tmp_path, tone):
    tone(tmp_path / "a.wav", 500)  # 4 frames < 9
    features, _, _ = wav_features(tmp_path / "a.wav", AudioSettings(deltas=True))
    assert features.shape == (4, 80) and np.isfinite(features).all()


def test_other_rate_and_stereo_are_converted_and_reported(tmp_path, tone):
    tone(tmp_path / "a.wav", 44100, sample_rate=44100, channels=2)
    y, duration, conversions = read_audio(tmp_path / "a.wav", 16000)
    assert conversions == ["2 channels -> mono", "resampled 44100 -> 16000 Hz"]
    assert len(y) == 16000 and duration == pytest.approx(1.0)
    features, _, _ = wav_features(tmp_path / "a.wav", AudioSettings())
    assert features.shape == (1 + 16000 // 160, 40)


def test_garbage_bytes_raise_an_audio_error_naming_the_file(tmp_path):
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF but not really a wav" * 10)
    with pytest.raises(AudioError, match="broken.wav"):
        read_audio(path, 16000)


def test_a_wav_without_samples_is_an_audio_error(tmp_path):
    sf.write(tmp_path / "empty.wav", np.zeros(0), 16000)
    with pytest.raises(AudioError, match="no samples"):
        read_audio(tmp_path / "empty.wav", 16000)


def test_audio_chunk_keeps_going_past_bad_files(tmp_path, tone):
    tone(tmp_path / "a.wav", 3200)
    (tmp_path / "bad.wav").write_bytes(b"\x00" * 100)
    tone(tmp_path / "c.wav", 1600, sample_rate=8000)
    paths = [str(tmp_path / n) for n in ("a.wav", "bad.wav", "missing.wav", "c.wav")]
    result = audio_chunk(paths, AudioSettings())
    lengths = np.diff(result["offsets"])
    assert lengths.tolist() == [21, 0, 0, 1 + 3200 // 160]
    assert result["features"].shape == (lengths.sum(), 40)
    assert result["status"][0] == "" and result["status"][3] == ""
    assert "decode" in result["status"][1] and "decode" in result["status"][2]
    assert result["conversions"].tolist() == ["", "", "", "resampled 8000 -> 16000 Hz"]
    np.testing.assert_allclose(result["duration"], [0.2, 0, 0, 0.2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stft_is_librosas_bit_for_bit(dtype):
    """Same numbers, dtype and memory layout as `librosa.stft` for lengths around every frame boundary
    (librosa frames the padded head and tail apart from the rest), and other window and hop sizes."""
    rng = np.random.default_rng(0)
    cases = [(n, 400, 160) for n in [*range(400, 1000, 13), 16000, 16159, 16160, 16161]]
    cases += [(n, 512, 128) for n in (512, 777, 4096)] + [(3000, 2048, 512)]
    for n, n_fft, hop in cases:
        y = rng.standard_normal(n).astype(dtype)
        expected, got = librosa.stft(y, n_fft=n_fft, hop_length=hop), stft(y, n_fft, hop)
        assert got.dtype == expected.dtype and got.shape == expected.shape and got.strides == expected.strides
        np.testing.assert_array_equal(got, expected)


def test_plain_pcm16_wavs_are_read_as_libsndfile_reads_them_and_others_are_left_to_it(tmp_path, tone):
    """`read_pcm16_mono` gives `sf.read`'s float32 samples bit for bit (odd lengths, full-scale values, a
    chunk before the data); anything else (stereo, other sample formats, a data chunk cut short, not a
    wav) is None, and `read_audio` then reads it with libsndfile as before."""
    tone(tmp_path / "a.wav", 16001)
    extremes = np.array([-1.0, -0.5, 0.0, 32767 / 32768, 1 / 32768], dtype=np.float64)
    sf.write(tmp_path / "b.wav", np.tile(extremes, 201), 16000, subtype="PCM_16")
    with_list = tmp_path / "c.wav"  # a LIST chunk between fmt and data, as some editors write
    raw = (tmp_path / "a.wav").read_bytes()
    at = raw.index(b"data")
    listing = b"LIST" + (5).to_bytes(4, "little") + b"INFOx\x00"  # odd length: one pad byte
    with_list.write_bytes(raw[:at] + listing + raw[at:])
    for name in ("a.wav", "b.wav", "c.wav"):
        expected, rate = sf.read(tmp_path / name, dtype="float32", always_2d=True)
        got, got_rate = read_pcm16_mono(tmp_path / name)
        assert got.dtype == np.float32 and got_rate == rate == 16000
        np.testing.assert_array_equal(got, expected[:, 0])
    tone(tmp_path / "stereo.wav", 1600, channels=2)
    sf.write(tmp_path / "float.wav", np.zeros(1600), 16000, subtype="FLOAT")
    sf.write(tmp_path / "pcm24.wav", np.zeros(1600), 16000, subtype="PCM_24")
    (tmp_path / "cut.wav").write_bytes(raw[: len(raw) - 1001])
    (tmp_path / "junk.wav").write_bytes(b"not a wav at all" * 10)
    for name in ("stereo.wav", "float.wav", "pcm24.wav", "cut.wav", "junk.wav"):
        assert read_pcm16_mono(tmp_path / name) is None
    y, duration, _ = read_audio(tmp_path / "cut.wav", 16000)
    np.testing.assert_array_equal(y, sf.read(tmp_path / "cut.wav", dtype="float32")[0])
