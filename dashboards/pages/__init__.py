"""One module per page: ``FILE``, ``NAV`` (menu label) and ``build(ctx) -> html``."""
