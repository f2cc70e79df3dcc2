"""Reports: the signed, privacy-preserving record of one precheck run (format version 1).

The flow is ``build`` (outcomes -> unsigned document) -> ``signing.sign`` (adds an Ed25519
signature over the RFC 8785 canonical form) -> a file the job seeker hands to the booking gateway,
which calls ``signing.verify``. The format is defined twice on purpose, and tested to agree:
``report.schema.json`` (JSON Schema 2020-12, published for the gateway and other languages) and
``model.Report`` (pydantic, for typed access in Python). Renderers in ``.render`` show a
report to a person in Japanese or English from the texts stored in it.

Importing this package does no I/O and imports nothing heavy.
"""
