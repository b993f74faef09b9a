"""``medtrinity report``: one self-contained HTML file of a run's statistics, plots and a sample gallery."""
