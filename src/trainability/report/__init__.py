"""Reports: claim records turned into text, JSON, Markdown and figures. No torch at import time
(the pytest plugin imports report.summary).

    summary    the terminal summary table, the suite-level adjustment, the JSON file
    markdown   the Markdown report (DIR/README.md) with its figures, from a JSON report alone
    plots      the figures (matplotlib, Agg)
    compare    report to report: what moved; merging the reports of a split suite
"""
