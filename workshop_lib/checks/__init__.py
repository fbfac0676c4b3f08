"""The check layer: the engine, the spies, one module per lesson, the registry, the answer store.

Learners use it through `workshop_lib.check`; `registry` lists what exists, lesson by lesson.
"""
