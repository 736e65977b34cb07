"""Scene-cut rules on hand-made samples, decoded frames and packet sizes: each rule at its boundary.

The numbers are the documented rules, written out (a cut moves 35% of the
histogram, a spike is 3x its neighbours' median within 2 s, consecutive
frames are at most 0.25 s apart), so a changed rule fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

from video.samples import DecodedFrame, PacketStat, Sample
from video.scenes import change, cut_intervals, detect_cuts, locate, pin

DARK, BRIGHT = 0.0, 1.0


def _hist(bright_share: float) -> np.ndarray:
    """A 32-bin histogram with bright_share of its weight in the top bin (the rest in the bottom one)."""
    h = np.zeros(32)
    h[0], h[31] = 1.0 - bright_share, bright_share
    return h


def _frame(t: float, bright_share: float) -> DecodedFrame:
    return DecodedFrame(t, _hist(bright_share))


def _sample(t: float, frame_t: float, bright_pixels: int) -> Sample:
    """A 20-pixel thumbnail: bright_pixels of them white, the rest black."""
    thumb = np.zeros((4, 5), dtype=np.uint8)
    thumb.ravel()[:bright_pixels] = 255
    return Sample(t=t, frame_t=frame_t, keyframe=False, thumb=thumb, picture=None)


def _steady(start: float, end: float, size: int = 100, step: float = 0.1) -> list[PacketStat]:
    """Predicted packets of one size every step seconds in [start, end]."""
    n = round((end - start) / step)
    return [PacketStat(round(start + i * step, 6), size, False) for i in range(n + 1)]


def _with(packets: list[PacketStat], *extra: PacketStat) -> list[PacketStat]:
    """packets with extra ones replacing any at the same time."""
    at = {p.t for p in extra}
    return sorted([p for p in packets if p.t not in at] + list(extra), key=lambda p: p.t)


# -- change -----------------------------------------------------------------------


def test_identical_histograms_have_not_changed():
    assert change(_hist(0.3), _hist(0.3)) == 0.0


def test_disjoint_histograms_have_changed_completely():
    assert change(_hist(0.0), _hist(1.0)) == 1.0


def test_change_is_the_share_of_the_histogram_that_moved():
    assert change(_hist(0.1), _hist(0.4)) == pytest.approx(0.3)


# -- cut_intervals ------------------------------------------------------------------


def test_a_cut_is_35_percent_of_the_picture_changing_between_consecutive_samples():
    # Given samples whose thumbnails change by 35%, then 0%, then 30% of their pixels
    samples = [_sample(0, 0.0, 0), _sample(1, 0.5, 7), _sample(2, 1.5, 7), _sample(3, 2.5, 1)]
    # When the intervals with a cut are listed
    intervals = cut_intervals(samples)
    # Then only the 35% change is a cut, spanning the two samples' frame times
    assert intervals == [(0.0, 0.5)]


def test_no_samples_or_one_sample_has_no_cut():
    assert cut_intervals([]) == []
    assert cut_intervals([_sample(0, 0.0, 0)]) == []


# -- pin by decoded frames ------------------------------------------------------------


def test_the_cut_is_the_decoded_frame_after_the_biggest_jump():
    # Given decoded frames (out of order) whose biggest jump is between 0.6 and 0.7
    decoded = [_frame(0.7, 0.9), _frame(0.5, 0.0), _frame(0.8, 1.0), _frame(0.6, 0.1)]
    # Then the cut is pinned to the frame at 0.7
    assert pin(0.0, 1.0, decoded, []) == 0.7
    assert locate(0.0, 1.0, decoded, []) == 0.7


def test_frames_a_quarter_second_apart_still_pin_the_cut():
    decoded = [_frame(0.5, DARK), _frame(0.75, BRIGHT)]
    assert pin(0.0, 1.0, decoded, []) == 0.75


def test_frames_further_apart_than_a_quarter_second_only_bound_the_cut():
    # Given the jump between frames 0.26 s apart and no packet evidence
    decoded = [_frame(0.5, DARK), _frame(0.76, BRIGHT)]
    # Then nothing pins the cut, and the best guess is the middle of the frames' gap
    assert pin(0.0, 1.0, decoded, []) is None
    assert locate(0.0, 1.0, decoded, []) == pytest.approx(0.63)


def test_frames_on_the_interval_bounds_take_part():
    # Given decoded frames exactly at the interval's two ends
    decoded = [_frame(1.0, DARK), _frame(1.2, BRIGHT)]
    # Then they pin the cut to its end
    assert pin(1.0, 1.2, decoded, []) == 1.2


def test_frames_within_a_microsecond_of_the_bounds_take_part():
    # Given frame times a rounding error outside the interval
    decoded = [_frame(1.0 - 1e-6, DARK), _frame(1.2 + 1e-6, BRIGHT)]
    assert pin(1.0, 1.2, decoded, []) == 1.2 + 1e-6


def test_frames_outside_the_interval_are_ignored():
    # Given a bigger jump just before the interval (0.5 -> 1.0) than inside it (1.0 -> 1.2)
    decoded = [_frame(0.5, BRIGHT), _frame(1.0, DARK), _frame(1.2, 0.9)]
    # Then the cut is pinned by the frames inside
    assert pin(1.0, 1.2, decoded, []) == 1.2


def test_frames_after_the_interval_are_ignored():
    # Given a bigger jump just after the interval (1.2 -> 1.7) than inside it (1.0 -> 1.2)
    decoded = [_frame(1.0, 0.5), _frame(1.2, 0.0), _frame(1.7, BRIGHT)]
    assert pin(1.0, 1.2, decoded, []) == 1.2


# -- the span left undecoded -------------------------------------------------------------


def test_a_spike_between_the_frames_of_the_biggest_jump_pins_the_cut():
    # Given decoded frames 1 s apart around the jump (2 -> 3), a spike between them,
    # and a bigger spike elsewhere in the interval, where the pictures did not change
    decoded = [_frame(1.0, DARK), _frame(2.0, DARK), _frame(3.0, BRIGHT), _frame(4.0, BRIGHT)]
    packets = _with(_steady(0.1, 5.0), PacketStat(1.5, 900, False), PacketStat(2.5, 400, False))
    # Then the spike inside the jump is the cut
    assert pin(1.0, 4.0, decoded, packets) == 2.5


def test_two_decoded_frames_bound_the_span_searched():
    decoded = [_frame(2.0, DARK), _frame(3.0, BRIGHT)]
    packets = _with(_steady(0.1, 5.0), PacketStat(1.5, 900, False), PacketStat(2.5, 400, False))
    assert pin(1.0, 4.0, decoded, packets) == 2.5


def test_one_decoded_frame_leaves_the_whole_interval_to_search():
    decoded = [_frame(1.0, DARK)]
    packets = _with(_steady(0.1, 3.0), PacketStat(1.7, 400, False))
    assert pin(1.0, 2.0, decoded, packets) == 1.7


def test_without_evidence_the_guess_is_the_middle_of_the_decoded_gap():
    # Given frames around the jump at 2 and 3 s inside the interval (1, 5] and no packets
    decoded = [_frame(2.0, DARK), _frame(3.0, BRIGHT)]
    assert locate(1.0, 5.0, decoded, []) == 2.5


def test_without_any_decoded_frame_or_packet_the_guess_is_the_middle_of_the_interval():
    assert pin(1.0, 2.0, [], []) is None
    assert locate(1.0, 2.0, [], []) == 1.5


# -- packet spikes -------------------------------------------------------------------------


def test_a_packet_three_times_its_neighbours_median_is_the_cut():
    packets = _with(_steady(0.1, 3.9), PacketStat(1.3, 300, False))
    assert pin(1.0, 2.0, [], packets) == 1.3


def test_a_packet_just_under_three_times_the_median_is_no_spike():
    packets = _with(_steady(0.1, 3.9), PacketStat(1.3, 299, False))
    assert pin(1.0, 2.0, [], packets) is None
    assert locate(1.0, 2.0, [], packets) == 1.5


def test_a_spike_on_the_interval_end_belongs_to_it():
    packets = _with(_steady(0.1, 3.9), PacketStat(2.0, 500, False))
    assert pin(1.0, 2.0, [], packets) == 2.0


def test_a_spike_within_a_microsecond_after_the_end_belongs_to_it():
    packets = _with(_steady(0.1, 3.9), PacketStat(2.0 + 1e-6, 500, False))
    assert pin(1.0, 2.0, [], packets) == 2.0 + 1e-6


def test_a_spike_on_the_interval_start_belongs_to_the_interval_before():
    # Given the only spike on the start: that frame was already seen by the sample before
    packets = _with(_steady(0.1, 3.9), PacketStat(1.0, 500, False))
    assert pin(1.0, 2.0, [], packets) is None
    assert locate(1.0, 2.0, [], packets) == 1.5


def test_a_spike_within_a_microsecond_after_the_start_still_belongs_before():
    packets = _with(_steady(0.1, 3.9), PacketStat(1.0 + 1e-6, 500, False))
    assert pin(1.0, 2.0, [], packets) is None


def test_several_spikes_leave_the_cut_unpinned_and_the_biggest_is_the_guess():
    # Given a small spike before a big one (a burst of motion makes one too)
    packets = _with(_steady(0.1, 3.9), PacketStat(1.2, 400, False), PacketStat(1.6, 700, False))
    assert pin(1.0, 2.0, [], packets) is None
    assert locate(1.0, 2.0, [], packets) == 1.6


def test_keyframes_are_never_spikes():
    # Given two big keyframes (coded from scratch anyway) in the interval
    packets = _with(_steady(0.1, 3.9), PacketStat(1.3, 5000, True), PacketStat(1.7, 5000, True))
    # Then neither is a spike, and with two keyframes nothing pins the cut
    assert pin(1.0, 2.0, [], packets) is None
    assert locate(1.0, 2.0, [], packets) == 1.5


def test_keyframe_sizes_do_not_raise_the_neighbourhood_median():
    # Given sparse predicted packets around many big keyframes
    keys = [PacketStat(t, 10_000, True) for t in (0.2, 0.4, 0.6, 0.8, 2.2, 2.4)]
    predicted = [PacketStat(1.2, 300, False), PacketStat(1.5, 100, False), PacketStat(1.8, 100, False)]
    # Then the spike is measured against the predicted packets alone
    assert pin(1.0, 2.0, [], sorted(keys + predicted, key=lambda p: p.t)) == 1.2


def _neighbourhood(*extra: PacketStat) -> list[PacketStat]:
    """Span (10, 11]: 160, 100, 100 inside; four 50s within 2 s (two of them exactly 2 s out): the median is 50.

    Without any one of the four 50s the median is 75, and 160 is no spike.
    """
    inside = [PacketStat(10.25, 160, False), PacketStat(10.5, 100, False), PacketStat(10.75, 100, False)]
    near = [PacketStat(t, 50, False) for t in (8.0, 8.5, 12.5, 13.0)]
    return sorted(inside + near + list(extra), key=lambda p: p.t)


def test_the_neighbourhood_reaches_exactly_two_seconds_each_side():
    assert pin(10.0, 11.0, [], _neighbourhood()) == 10.25


def test_packets_beyond_two_seconds_are_not_neighbours_however_big():
    far = [PacketStat(t, 5000, False) for t in (7.1, 7.3, 7.5, 7.9, 13.1, 13.5, 13.9)]
    assert pin(10.0, 11.0, [], _neighbourhood(*far)) == 10.25


def test_a_spike_after_the_interval_is_not_its_cut():
    packets = _with(_steady(0.1, 3.9), PacketStat(2.5, 500, False))
    assert pin(1.0, 2.0, [], packets) is None


# -- which span the decoded frames leave --------------------------------------------------------------


SPIKES_EACH_SIDE_OF_2S = (PacketStat(1.5, 400, False), PacketStat(2.5, 400, False))


@pytest.mark.parametrize("first_t", [1.0, 1.0 - 1e-6])
def test_a_frame_on_the_interval_start_bounds_the_undecoded_span(first_t):
    # Given the jump between a frame on the start (or a rounding error before it) and one at 2.0, 1 s apart
    decoded = [_frame(first_t, DARK), _frame(2.0, BRIGHT), _frame(3.0, BRIGHT)]
    packets = _with(_steady(0.1, 4.9), *SPIKES_EACH_SIDE_OF_2S)
    # Then the spike between those two frames is the cut
    assert pin(1.0, 3.0, decoded, packets) == 1.5


@pytest.mark.parametrize("last_t", [3.0, 3.0 + 1e-6])
def test_a_frame_on_the_interval_end_bounds_the_undecoded_span(last_t):
    decoded = [_frame(1.0, DARK), _frame(2.0, DARK), _frame(last_t, BRIGHT)]
    packets = _with(_steady(0.1, 4.9), *SPIKES_EACH_SIDE_OF_2S)
    assert pin(1.0, 3.0, decoded, packets) == 2.5


def test_frames_outside_the_interval_do_not_bound_the_undecoded_span():
    # Given bigger jumps just outside the interval (0.5 -> 1.0 and 2.0 -> 2.5) than inside it
    before = [_frame(0.5, BRIGHT), _frame(1.0, 0.4), _frame(2.0, 0.0)]
    after = [_frame(1.0, 0.0), _frame(2.0, 0.4), _frame(2.5, BRIGHT)]
    packets = _with(_steady(0.1, 4.9), *SPIKES_EACH_SIDE_OF_2S)
    # Then the span is the one between the frames inside, 1 to 2 s
    assert pin(1.0, 2.0, before, packets) == 1.5
    assert pin(1.0, 2.0, after, packets) == 1.5


# -- keyframes -------------------------------------------------------------------------------


def test_without_a_spike_the_only_keyframe_inside_is_the_cut():
    packets = _with(_steady(0.1, 3.9), PacketStat(1.4, 100, True))
    assert pin(1.0, 2.0, [], packets) == 1.4


def test_a_keyframe_on_either_end_of_the_span_is_not_the_cut():
    for key_t in (1.0, 2.0, 1.0 + 1e-6, 2.0 - 1e-6):
        packets = _with(_steady(0.1, 3.9), PacketStat(key_t, 100, True))
        assert pin(1.0, 2.0, [], packets) is None, key_t


def test_two_keyframes_inside_leave_the_cut_unpinned():
    packets = _with(_steady(0.1, 3.9), PacketStat(1.3, 100, True), PacketStat(1.6, 100, True))
    assert pin(1.0, 2.0, [], packets) is None


def test_the_only_spike_wins_over_a_keyframe():
    packets = _with(_steady(0.1, 3.9), PacketStat(1.3, 100, True), PacketStat(1.7, 400, False))
    assert pin(1.0, 2.0, [], packets) == 1.7


def test_several_spikes_with_a_keyframe_are_still_ambiguous():
    packets = _with(
        _steady(0.1, 3.9), PacketStat(1.2, 400, False), PacketStat(1.5, 100, True), PacketStat(1.8, 700, False)
    )
    assert pin(1.0, 2.0, [], packets) is None
    assert locate(1.0, 2.0, [], packets) == 1.8


# -- detect_cuts ---------------------------------------------------------------------------------


def test_cut_times_are_rounded_to_the_millisecond():
    # Given a cut between samples at 0 and 1 s, pinned by decoded frames to 0.65432 s
    samples = [_sample(0, 0.0, 0), _sample(1, 1.0, 20)]
    decoded = [_frame(0.0, DARK), _frame(0.61728, DARK), _frame(0.65432, BRIGHT), _frame(1.0, BRIGHT)]
    assert detect_cuts(samples, decoded, []) == [0.654]
