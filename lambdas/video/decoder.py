"""A video stream's decoder and scaler per thread, and the pool of threads that decode groups of pictures."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any


class Decoder:
    """A container's video stream with its own decoder and scaler: one per thread (FFmpeg contexts are not thread-safe)."""

    def __init__(self, container: Any) -> None:
        from av.video.reformatter import VideoReformatter

        self.container = container
        self.stream = container.streams.video[0]
        # Slice threads: frame threads would only add latency, as every group is drained where its samples end.
        self.stream.thread_type = "SLICE"
        self.ctx = self.stream.codec_context
        self.ctx.skip_frame = "NONREF"
        self.tb = self.stream.time_base
        self.tb_s = float(self.tb)  # float arithmetic: Fraction costs tens of microseconds per packet
        self.start = float(self.stream.start_time * self.tb) if self.stream.start_time is not None else 0.0
        self.reformatter = VideoReformatter()  # one swscale context for every sample
        self._span_ctx: Any = None

    def span_ctx(self) -> Any:
        """A second decoder for the spans that time cuts: without the loop filter (a third cheaper here).

        Those frames only give histograms; the samples keep their clean decodes.
        """
        if self._span_ctx is None:
            import av

            ctx = av.CodecContext.create(self.ctx.name, "r")
            ctx.extradata = self.ctx.extradata
            ctx.options = {"skip_loop_filter": "all"}
            ctx.thread_type, ctx.skip_frame = "SLICE", "NONREF"
            self._span_ctx = ctx
        return self._span_ctx

    def time(self, ts: int) -> float:
        return ts * self.tb_s - self.start


class DecoderPool:
    """Threads that decode with a container each (opened on first use); PyAV releases the GIL while decoding."""

    def __init__(self, path: Path, threads: int) -> None:
        self.path, self.threads = path, threads
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="video-decode")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[Any] = []

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        return self._executor.submit(self._call, fn, *args)

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        decoder = getattr(self._local, "decoder", None)
        if decoder is None:
            import av

            container = av.open(str(self.path))
            with self._lock:
                self._opened.append(container)
            decoder = self._local.decoder = Decoder(container)
        return fn(decoder, *args)

    def __enter__(self) -> DecoderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        for container in self._opened:
            container.close()
