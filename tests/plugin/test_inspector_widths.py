"""The inspector reads at any width (offscreen; tests/desktop does the same in the real QGIS window): the figures
keep their minimum size and scroll, and nothing in them overlaps or is cut off."""
import pytest
from qgis.PyQt.QtWidgets import QApplication

from figure_geometry import measure, problems
from groundwater_lstm.plugin.inspector import MIN_FIGURE_WIDTH


def settle(widget):
    for _ in range(3):
        QApplication.processEvents()
    widget.repaint()
    QApplication.processEvents()


@pytest.mark.parametrize("width", [320, 480, 1000])
def test_the_inspector_fits_its_width(dock, wells_layer, width, artifacts_dir):
    dock.set_layer(wells_layer)
    assert dock.show_well("W3")
    dock.resize(width, 900)
    settle(dock)
    panels = dock.scroll.widget()
    viewport = dock.scroll.viewport().width()
    for canvas in (dock.hydrograph_canvas, dock.attribution_canvas):
        assert MIN_FIGURE_WIDTH <= canvas.width() <= max(viewport, MIN_FIGURE_WIDTH)
        measured = measure(canvas.figure)
        assert measured["figure_px"][0] == pytest.approx(canvas.width(), abs=2)
        found = problems(measured)
        assert not found, f"at {width} px:\n" + "\n".join(found)
    # the metrics never break inside a word: each label fits on its line
    assert dock.metrics_view.width() <= panels.width()
    assert dock.scroll.horizontalScrollBar().maximum() == 0  # no sideways scrolling down to 320 px
    assert dock.grab().save(str(artifacts_dir / f"well_inspector_{width}px_offscreen.png"))


def test_the_geometry_check_sees_a_squeezed_figure():
    """The check above can fail: the old drawing (long title, legend inside in one row, every date) squeezed."""
    import datetime as dt

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2.2, 1.4), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(111)
    days = [dt.date(2016, 1, 1) + dt.timedelta(days=i) for i in range(900)]
    ax.plot(days, range(900), label="simulated")
    ax.plot(days, range(900), label="observed")
    ax.set_title("Well W3: observed and simulated groundwater level")
    ax.set_xticks(days[::60])
    ax.legend(loc="lower left", ncol=5)
    found = problems(measure(fig))
    assert any("overlap" in p for p in found) and any("cut off" in p for p in found), found
    assert any("under" in p for p in found), found
