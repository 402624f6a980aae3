"""Per-domain UI message catalogues, merged into anju.web.i18n.MESSAGES."""
