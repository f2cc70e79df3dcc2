"""The job seeker's terminal app: the whole pre-check, from the welcome screen to booking.

A thin layer over :mod:`precheck.session`, :mod:`precheck.runner` and :mod:`reports`: no check
logic lives here. Only :mod:`precheck.tui.app` and the screens and widgets import Textual; the
other modules (the checkup model, declarations, live device feeds) are plain Python, so they are
tested without a terminal. Nothing outside this package imports it except ``precheck.cli``, and
only when it opens the app.
"""
