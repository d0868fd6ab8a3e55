"""sitecheck.dark_figures' measure: the contrast of a figure's dark ink against what is behind
it as rendered (no browser here: figures composited by hand)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sitecheck.dark_figures import MIN_CONTRAST, contrast, ink_contrast, luminance

DARK_PAGE = (18, 18, 18)  # the theme's dark background, about


def figure(background, ink=(0, 0, 0), size=(60, 80)) -> np.ndarray:
    """A rendered figure (H, W, 3): ``background`` with a block of text-like ``ink`` inside."""
    pixels = np.empty((*size, 3), dtype=np.uint8)
    pixels[:] = background
    pixels[20:30, 10:70] = ink  # 600 of 4800 pixels
    return pixels


def test_wcag_contrast_of_black_and_white():
    assert math.isclose(contrast(luminance((0, 0, 0)), luminance((255, 255, 255))), 21.0)
    assert math.isclose(contrast(0.5, 0.5), 1.0)


def test_black_ink_on_a_transparent_figure_over_the_dark_page_fails():
    ratio, background, ink = ink_contrast(figure(DARK_PAGE))
    assert background == DARK_PAGE and ink == (0, 0, 0)
    assert ratio < 1.5 < MIN_CONTRAST


def test_the_same_figure_in_a_white_frame_passes():
    framed = np.empty((70, 90, 3), dtype=np.uint8)
    framed[:] = 255
    framed[5:65, 5:85] = figure((255, 255, 255))
    ratio, background, _ = ink_contrast(framed)
    assert background == (255, 255, 255) and ratio > 20


def test_a_dimmed_frame_with_grey_ink_fails():
    ratio, _, _ = ink_contrast(figure((204, 204, 204), ink=(120, 120, 120)))
    assert 1 < ratio < MIN_CONTRAST


def test_a_figure_with_no_ink_darker_than_its_background_passes():
    ratio, _, _ = ink_contrast(figure(DARK_PAGE, ink=(230, 230, 230)))
    assert ratio == float("inf")


def test_ci_runs_the_console_and_dark_figure_checks_on_the_built_site():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    site_check = ci.split('stage "site check"')[1].split("stage ")[0]
    assert "python -m sitecheck.console _build/html" in site_check
    assert "python -m sitecheck.dark_figures _build/html" in site_check
