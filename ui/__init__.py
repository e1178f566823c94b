"""The dashboard's parts (installed as sanse.ui): what each page shows and does, the page run's
guard and state, reads, tables and charts."""
