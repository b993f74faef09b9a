"""A corpus of hostile inputs (corrupt, truncated, declared-huge, escaping, looping) built on demand.

Every case is one source folder holding good files and one hostile thing; ``expect`` says what a
correct pipeline does with it: ``reject`` (the hostile file becomes a reject whose reason names it,
every good file still becomes samples) or ``once`` (every good file read exactly once, no hang).
Tests and ``benchmarks/hostile_inputs.py`` build the same corpus (:func:`medtrinity.hostile.corpus.build_corpus`),
so both measure the same thing; ``python -m medtrinity.hostile.check`` reads each case in a child process.
Files are tiny on disk; the memory bombs only declare huge sizes in their headers.
"""
