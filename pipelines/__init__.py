"""Data in (installed as sanse.pipelines): daily report files and forms, record-level tables, and
the build of each server's warehouse."""
