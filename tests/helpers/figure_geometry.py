"""Geometry checks of a drawn matplotlib figure, in pixels: what a reader would call unreadable.

Used by the offscreen inspector tests and by the desktop tier's script inside the real QGIS window, so it
imports nothing but matplotlib.
"""


def _boxes(artists, renderer):
    out = []
    for artist in artists:
        if artist.get_visible() and getattr(artist, "get_text", lambda: "x")().strip():
            out.append((artist, artist.get_window_extent(renderer)))
    return out


def _tick_labels(axis, index):
    """The labels of the ticks matplotlib draws: those inside the view (a locator also makes some outside)."""
    low, high = sorted(axis.get_view_interval())
    pad = (high - low) * 1e-9
    return [label for label in axis.get_ticklabels() if low - pad <= label.get_position()[index] <= high + pad]


def _overlap(a, b, slack=0.5):
    return a.x0 + slack < b.x1 and b.x0 + slack < a.x1 and a.y0 + slack < b.y1 and b.y0 + slack < a.y1


def _inside(box, frame, slack=1.0):
    return (box.x0 >= frame.x0 - slack and box.y0 >= frame.y0 - slack and box.x1 <= frame.x1 + slack
            and box.y1 <= frame.y1 + slack)


def measure(fig):
    """Draw ``fig`` and return its size and each axes' size and problems (a dict that JSON can carry)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    result = {"figure_px": [round(frame.width), round(frame.height)], "axes": []}
    for ax in fig.axes:
        box = ax.get_window_extent(renderer)
        problems = []
        for name, axis, index in (("x", ax.xaxis, 0), ("y", ax.yaxis, 1)):
            labels = _boxes(_tick_labels(axis, index), renderer)
            for i, (la, a) in enumerate(labels):
                if not _inside(a, frame):
                    problems.append(f"{name} tick label {la.get_text()!r} is cut off by the figure's edge")
                for lb, b in labels[i + 1:]:
                    if _overlap(a, b):
                        problems.append(f"{name} tick labels {la.get_text()!r} and {lb.get_text()!r} overlap")
        title = ax.title
        if title.get_text() and not _inside(title.get_window_extent(renderer), frame):
            problems.append(f"the title {title.get_text()!r} is cut off")
        legend = ax.get_legend()
        if legend is not None:
            lbox = legend.get_window_extent(renderer)
            if not _inside(lbox, frame):
                problems.append("the legend lies partly outside the figure")
            for la, a in _boxes(_tick_labels(ax.xaxis, 0), renderer):
                if _overlap(lbox, a):
                    problems.append(f"the legend covers the tick label {la.get_text()!r}")
        texts = _boxes(ax.texts, renderer)
        for i, (ta, a) in enumerate(texts):
            for tb, b in texts[i + 1:]:
                if _overlap(a, b):
                    problems.append(f"the labels {ta.get_text()!r} and {tb.get_text()!r} overlap")
        result["axes"].append({"title": title.get_text(), "px": [round(box.width), round(box.height)],
                               "legend": legend is not None, "problems": problems})
    return result


def problems(measured, min_axes_px=(200, 110)):
    """Every problem of a :func:`measure` result, plus axes smaller than ``min_axes_px``."""
    found = []
    for ax in measured["axes"]:
        width, height = ax["px"]
        if width < min_axes_px[0] or height < min_axes_px[1]:
            found.append(f"{ax['title']!r}: the axes are {width}x{height} px, under {min_axes_px}")
        found += [f"{ax['title']!r}: {p}" for p in ax["problems"]]
    return found
