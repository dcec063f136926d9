"""Speed and skill benchmarks: ``python -m benchmarks [--case NAME] [--quick]`` (``make bench``).

Each case is its own module with ``run(quick=False) -> dict`` (or a list of dicts: ``explain_case`` gives the
``explain`` and ``seppe_extraction`` lines); every case prints one JSON object per line with
at least ``case``, ``wells``, ``seconds``, ``median_nse_test`` and ``share_nse_test_gt_0_7``.
"""
CASES = ("synthetic", "swiss", "swiss_baseline", "swiss_tune", "crosscheck", "speed", "paper_size", "explain_case", "scale")
