"""Profiles: the rules a certificate or a request must meet, kept as data (TOML) beside their schemas.

Two kinds live here, because both are "what must this look like", written as data a site can extend:

* :mod:`caiso_pki.profiles.cps`: CPS profiles, what an *issued* certificate of each kind must look
  like under CAISO's Certification Practice Statement, each rule with its citation.  The linter
  (:mod:`caiso_pki.lint`) reads them; ``caiso-basic-assurance.toml`` and ``caiso-demo.toml`` are built in.
* :mod:`caiso_pki.profiles.request`: request profiles, what a participant's *CSR* for a RIG, DPG, ICCP,
  API or UI client must look like before it is submitted.  ``build_csr`` and ``check_csr``
  (:mod:`caiso_pki.csr`) read them; ``request_profiles.toml`` is built in.

Both load with one TOML reader (:mod:`caiso_pki._toml`) and fail with
:class:`~caiso_pki.errors.ProfileError` naming the file, the key and the line.
"""
