"""Parsers, one module per raw source.

Each module exposes ``read(raw_dir) -> DataFrame`` — a wide frame keyed by ``province_code``
(int64, GB/T 2260) and ``year`` (int64), the 31 provinces only, values in the units of
``docs/CONTRACTS.md`` — and ``VARIABLES``, the :class:`analysis.data.codebook.Variable` records
of every column it produces. Where a source holds national totals, ``read_national(raw_dir)``
returns them (keyed by ``year``) for reconciliation.

Modules: :mod:`.techme`, :mod:`.techme_yearbook`, :mod:`.nbs`, :mod:`.nqp`, :mod:`.gpi`,
:mod:`.hansen`, :mod:`.boundaries`.
"""
