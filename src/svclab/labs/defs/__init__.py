"""One module per lab, each defining ``LAB``: its set-up objects and its graded checks,
built from :mod:`svclab.labs.checks`. A new lab is a new module here, listed in
:mod:`svclab.labs.catalog`, plus ``labs/<name>/<name>.md`` and its grading tests."""
