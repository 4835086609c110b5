"""Operating the installation: online backup and checked restore of the database."""
