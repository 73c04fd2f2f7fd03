"""The published static site (contract §6): pages, charts and CSV downloads.

Entry point: :func:`dashboards.site.build_site`.
"""
