"""precheck-diskspace: a sample check plugin for precheck (enough free disk space for a call).

The probe (:mod:`precheck_diskspace.probe`) asks the machine through ``System.probe``, so its
answer is recorded in diagnostic bundles and replayed anywhere; the check
(:mod:`precheck_diskspace.check`) judges that answer against its own policy section.
"""

__version__ = "1.0.0"
