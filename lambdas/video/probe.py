"""What a file is, from its container header: a video we accept, or a clear reason why not."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.errors import PermanentError

if TYPE_CHECKING:
    from video.storage import ObjectInfo

# Image "containers" FFmpeg opens as one-frame video streams.
_IMAGE_CODECS = frozenset({"png", "mjpeg", "gif", "webp", "bmp", "tiff", "jpeg2000", "apng"})
_IMAGE_FORMAT_SUFFIX = "_pipe"
# Magic numbers of the containers a phone or an editor uploads; used only to
# tell a broken video ("corrupt_video") from something else ("not_a_video").
_VIDEO_MAGIC = ((4, b"ftyp"), (0, b"\x1a\x45\xdf\xa3"), (0, b"RIFF"), (0, b"\x00\x00\x01\xba"), (4, b"moov"))


@dataclass(frozen=True)
class VideoInfo:
    duration_s: float
    width: int  # as displayed (after rotation)
    height: int
    coded_width: int
    coded_height: int
    fps: float
    codec: str
    rotation: int
    has_audio: bool
    container: str
    bit_rate: int | None

    @property
    def orientation(self) -> str:
        if self.width == self.height:
            return "square"
        return "portrait" if self.height > self.width else "landscape"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "orientation": self.orientation}


def probe(path: Path) -> VideoInfo:
    """Probe `path` without decoding; `PermanentError` for anything that is not a usable video."""
    import av

    if path.stat().st_size == 0:
        raise PermanentError("empty_file", "the file is empty (0 bytes)")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        if _looks_like_video(path):
            raise PermanentError("corrupt_video", f"the video cannot be read: {ffmpeg_reason(exc)}") from None
        raise PermanentError("not_a_video", "the file is not a video container FFmpeg recognises") from None
    with container:
        fmt = container.format.name
        if not container.streams.video:
            raise PermanentError("not_a_video", f"the file ({fmt}) has no video stream")
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        if codec in _IMAGE_CODECS or fmt.endswith(_IMAGE_FORMAT_SUFFIX) or fmt == "image2":
            raise PermanentError("not_a_video", f"the file is a still image ({codec}), not a video")
        duration = _duration(container, stream)
        if duration is None or duration <= 0:
            raise PermanentError("corrupt_video", "the video has no duration")
        coded_w, coded_h = stream.codec_context.width, stream.codec_context.height
        if not coded_w or not coded_h:
            raise PermanentError("corrupt_video", "the video has no frame size")
        rotation = _rotation(container, stream)
        width, height = (coded_h, coded_w) if rotation % 180 else (coded_w, coded_h)
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        return VideoInfo(
            duration_s=round(duration, 3),
            width=width,
            height=height,
            coded_width=coded_w,
            coded_height=coded_h,
            fps=round(float(rate), 3) if rate else 0.0,
            codec=codec,
            rotation=rotation,
            has_audio=bool(container.streams.audio),
            container=fmt,
            bit_rate=container.bit_rate or None,
        )


def check_limits(obj: ObjectInfo, *, max_bytes: int, max_duration_s: float) -> None:
    """`PermanentError` ("too_large", "too_long") from the size S3 reports and the container's header.

    The header is read through ranged GETs (storage.RangeReader): a few
    hundred KB for a usual MP4, wherever its moov sits. What cannot be judged
    from the header (not a video, a header past the read budget) is left to
    `probe` on the downloaded file, which says why.
    """
    if obj.size > max_bytes:
        raise PermanentError("too_large", f"the file is {obj.size} bytes; the limit is {max_bytes}")
    duration = header_duration(obj)
    if duration is not None and duration > max_duration_s:
        raise PermanentError("too_long", f"the video is {duration:.1f} s long; the limit is {max_duration_s:g} s")


# FFmpeg reads up to 5 MB of packets to guess stream parameters by default;
# the duration is in the header, so a small probe is enough.
_HEADER_OPTIONS = {"probesize": str(256 * 1024), "analyzeduration": "0"}


def header_duration(obj: ObjectInfo) -> float | None:
    """The duration the container's header states, read by ranges; None if the header does not say."""
    import av

    from video.storage import RangeReader

    reader = RangeReader(obj)
    try:
        with av.open(reader, options=_HEADER_OPTIONS) as container:
            if not container.streams.video:
                return None
            return _duration(container, container.streams.video[0])
    except (av.error.FFmpegError, UnicodeDecodeError, RangeReader.OverBudget):
        return None


def ffmpeg_reason(exc: Exception) -> str:
    """FFmpeg's reason without the file name PyAV appends (the worker's temp path must not reach a job)."""
    return getattr(exc, "strerror", None) or type(exc).__name__


def _duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _rotation(container: Any, stream: Any) -> int:
    """Clockwise display rotation in degrees (0, 90, 180, 270).

    FFmpeg keeps it in the stream's display matrix, which PyAV exposes on
    decoded frames: the first frame (a keyframe) is decoded for it.
    """
    import av

    try:
        for frame in container.decode(stream):
            # PyAV reports counter-clockwise degrees in [-180, 180].
            return (-round(frame.rotation)) % 360
    except av.error.FFmpegError:
        # A stream that will not decode is reported by sampling, with its reason.
        return 0
    return 0


def _looks_like_video(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(16)
    return any(head[offset : offset + len(magic)] == magic for offset, magic in _VIDEO_MAGIC)
